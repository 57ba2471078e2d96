using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Resources;

namespace Mesh.Procurement.Domain;

/// <summary>What makes a purchase order valid, its amounts, and where receipts and matched invoices take it.</summary>
public static class PurchaseOrderRules
{
    /// <summary>The system name of the ERP's order id in <c>external_ids</c>.</summary>
    public const string ErpSystem = "erp";

    /// <summary>The fields an update of a DRAFT order may change.</summary>
    public static readonly IReadOnlySet<string> UpdatablePaths = new HashSet<string>(StringComparer.Ordinal)
    {
        "ship_to_location", "bill_to_cost_center", "lines", "tax", "freight", "payment_terms",
    };

    /// <summary>
    /// INVALID_ARGUMENT naming the field and rule unless the order is complete: supplier, cost center, location, buyer,
    /// currency, at least one line with a unique positive number, an item, a positive quantity and a price in the
    /// order's currency. Sets the line amounts, subtotal and total, and zero received and invoiced quantities.
    /// </summary>
    public static void Validate(PurchaseOrder order)
    {
        ProcurementNames.Require(ProcurementNames.Suppliers, order.Supplier, "purchase_order.supplier");
        ProcurementNames.Require(ProcurementNames.CostCenters, order.BillToCostCenter, "purchase_order.bill_to_cost_center");
        ProcurementNames.Require(ProcurementNames.Locations, order.ShipToLocation, "purchase_order.ship_to_location");
        ProcurementNames.Require(ProcurementNames.Employees, order.Buyer, "purchase_order.buyer");
        if (order.CurrencyCode.Length != 3)
        {
            throw ResourceErrors.Invalid("purchase_order.currency_code is required: an ISO 4217 code");
        }

        if (order.Lines.Count == 0)
        {
            throw ResourceErrors.Invalid("purchase_order.lines must have at least one line");
        }

        var numbers = new HashSet<int>();
        for (var i = 0; i < order.Lines.Count; i++)
        {
            var line = order.Lines[i];
            var field = $"purchase_order.lines[{i}]";
            if (line.LineNumber <= 0 || !numbers.Add(line.LineNumber))
            {
                throw ResourceErrors.Invalid($"{field}.line_number must be positive and unique within the order");
            }

            ProcurementNames.Require(ProcurementNames.Items, line.Item, $"{field}.item");
            var quantity = Amounts.RequirePositive(line.OrderedQuantity, $"{field}.ordered_quantity");
            if (line.UnitPrice is null || line.UnitPrice.CurrencyCode != order.CurrencyCode || line.UnitPrice.ToDecimal() < 0)
            {
                throw ResourceErrors.Invalid($"{field}.unit_price is required: not negative, in the order's currency_code");
            }

            ProcurementNames.Optional(ProcurementNames.Requisitions, line.Requisition, $"{field}.requisition");
            line.ExtendedAmount = Money.Of(order.CurrencyCode, Amounts.Cents(quantity * line.UnitPrice.ToDecimal()));
            line.ReceivedQuantity = Quantity.Of(0, line.OrderedQuantity.Unit);
            line.InvoicedQuantity = Quantity.Of(0, line.OrderedQuantity.Unit);
        }

        foreach (var (money, field) in new[] { (order.Tax, "tax"), (order.Freight, "freight") })
        {
            if (money is not null && (money.CurrencyCode != order.CurrencyCode || money.ToDecimal() < 0))
            {
                throw ResourceErrors.Invalid($"purchase_order.{field} must not be negative and must be in the order's currency_code");
            }
        }

        var subtotal = order.Lines.Sum(l => l.ExtendedAmount.ToDecimal());
        order.Subtotal = Money.Of(order.CurrencyCode, subtotal);
        order.Total = Money.Of(order.CurrencyCode, subtotal + Amounts.Of(order.Tax) + Amounts.Of(order.Freight));
    }

    /// <summary>True once anything was received on the order.</summary>
    public static bool AnythingReceived(PurchaseOrder order) => order.Lines.Any(l => Amounts.Of(l.ReceivedQuantity) > 0);

    /// <summary>
    /// The state of a sent order after its received or invoiced quantities changed: CLOSED when every line is received
    /// and invoiced in full, RECEIVED when every line is received in full, PARTIALLY_RECEIVED when something is, else SENT.
    /// </summary>
    public static PurchaseOrderState AfterQuantitiesChanged(PurchaseOrder order)
    {
        bool Full(Quantity? quantity, PurchaseOrderLine line) => Amounts.Of(quantity) >= line.OrderedQuantity.ToDecimal();
        return order.Lines.All(l => Full(l.ReceivedQuantity, l) && Full(l.InvoicedQuantity, l)) ? PurchaseOrderState.Closed
            : order.Lines.All(l => Full(l.ReceivedQuantity, l)) ? PurchaseOrderState.Received
            : AnythingReceived(order) ? PurchaseOrderState.PartiallyReceived
            : PurchaseOrderState.Sent;
    }

    /// <summary>The ERP's order id, or "" before the order was sent.</summary>
    public static string ErpOrderId(PurchaseOrder order) => order.ExternalIds.FirstOrDefault(e => e.System == ErpSystem)?.Value ?? "";

    /// <summary>The human-readable number of the order with id <paramref name="id"/>.</summary>
    public static string PoNumber(string id) => $"PO-{id.ToUpperInvariant()}";
}
