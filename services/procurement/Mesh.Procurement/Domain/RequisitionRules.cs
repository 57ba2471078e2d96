using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Resources;

namespace Mesh.Procurement.Domain;

/// <summary>What makes a requisition valid, and what it is estimated to cost.</summary>
public static class RequisitionRules
{
    /// <summary>The fields an update of a DRAFT requisition may change.</summary>
    public static readonly IReadOnlySet<string> UpdatablePaths = new HashSet<string>(StringComparer.Ordinal)
    {
        "cost_center", "deliver_to_location", "need_by_time", "lines", "justification",
    };

    /// <summary>
    /// INVALID_ARGUMENT naming the field and rule unless the requisition can be submitted: a requester, cost center and
    /// location, at least one line, each with an item and a positive quantity, prices in one currency and not negative.
    /// Numbers the lines 1..n where they are unnumbered and sets the estimated total.
    /// </summary>
    public static void Validate(Requisition requisition)
    {
        ProcurementNames.Require(ProcurementNames.Employees, requisition.Requester, "requisition.requester");
        ProcurementNames.Require(ProcurementNames.CostCenters, requisition.CostCenter, "requisition.cost_center");
        ProcurementNames.Require(ProcurementNames.Locations, requisition.DeliverToLocation, "requisition.deliver_to_location");
        if (requisition.Lines.Count == 0)
        {
            throw ResourceErrors.Invalid("requisition.lines must have at least one line");
        }

        var numbers = new HashSet<int>();
        for (var i = 0; i < requisition.Lines.Count; i++)
        {
            var line = requisition.Lines[i];
            var field = $"requisition.lines[{i}]";
            line.LineNumber = line.LineNumber == 0 ? i + 1 : line.LineNumber;
            if (line.LineNumber < 0 || !numbers.Add(line.LineNumber))
            {
                throw ResourceErrors.Invalid($"{field}.line_number must be positive and unique within the requisition");
            }

            ProcurementNames.Require(ProcurementNames.Items, line.Item, $"{field}.item");
            Amounts.RequirePositive(line.Quantity, $"{field}.quantity");
            Amounts.RequireNotNegative(line.EstimatedUnitPrice, $"{field}.estimated_unit_price");
            ProcurementNames.Optional(ProcurementNames.Suppliers, line.SuggestedSupplier, $"{field}.suggested_supplier");
            line.PurchaseOrder = "";
        }

        requisition.EstimatedTotal = EstimatedTotal(requisition);
    }

    /// <summary>The sum of quantity times estimated unit price; null when no line has a price. INVALID_ARGUMENT when prices mix currencies.</summary>
    public static Money? EstimatedTotal(Requisition requisition)
    {
        var priced = requisition.Lines.Where(l => l.EstimatedUnitPrice is not null).ToList();
        if (priced.Count == 0)
        {
            return null;
        }

        var currency = priced[0].EstimatedUnitPrice.CurrencyCode;
        return priced.Any(l => l.EstimatedUnitPrice.CurrencyCode != currency)
            ? throw ResourceErrors.Invalid("requisition.lines[].estimated_unit_price must all be in one currency")
            : Money.Of(currency, Amounts.Cents(priced.Sum(l => l.EstimatedUnitPrice.ToDecimal() * l.Quantity.ToDecimal())));
    }
}
