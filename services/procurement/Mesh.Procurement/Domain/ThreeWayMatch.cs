using System.Globalization;
using Mesh.Contracts.Procurement.V1;

namespace Mesh.Procurement.Domain;

/// <summary>The outcome of a three-way match.</summary>
/// <param name="Status">MATCHED, the one kind of variance found, or MULTIPLE_VARIANCES.</param>
/// <param name="Exceptions">Each discrepancy, naming the line, the rule or tolerance, and by how much.</param>
/// <param name="Receipts">The receipts compared against.</param>
public sealed record MatchResult(InvoiceMatchStatus Status, IReadOnlyList<MatchException> Exceptions, IReadOnlyList<string> Receipts);

/// <summary>
/// The three-way match of a supplier invoice against its purchase order (prices) and the receipts on it (quantities),
/// and of the invoice's lines, tax and freight against its total. A price may exceed the order's by the price tolerance;
/// the quantity billed so far may exceed what was received by the quantity tolerance. Billing more than was received
/// but not more than was ordered waits for goods (RECEIPT_PENDING); billing beyond the order is a quantity variance.
/// </summary>
public static class ThreeWayMatch
{
    // Line amounts and totals are stated in cents; a cent of rounding is not a variance.
    private const decimal Rounding = 0.01m;

    /// <summary>Matches <paramref name="invoice"/> against <paramref name="order"/> and its unreversed <paramref name="receipts"/>.</summary>
    public static MatchResult Match(SupplierInvoice invoice, PurchaseOrder order, IReadOnlyList<GoodsReceipt> receipts, ProcurementOptions tolerances)
    {
        var exceptions = new List<(MatchException Exception, InvoiceMatchStatus Kind)>();
        void Add(string code, int line, InvoiceMatchStatus kind, string description) =>
            exceptions.Add((new MatchException { Code = code, PoLineNumber = line, Description = description }, kind));

        var counted = receipts.Where(r => r.PurchaseOrder == order.Name && r.ReverseTime is null).ToList();
        var currency = invoice.Total?.CurrencyCode ?? "";
        if (currency != order.CurrencyCode)
        {
            Add("CURRENCY_MISMATCH", 0, InvoiceMatchStatus.TotalVariance, $"invoice total is in {currency}, the purchase order in {order.CurrencyCode}");
        }

        foreach (var line in invoice.Lines)
        {
            var number = line.PoLineNumber;
            if (order.Lines.FirstOrDefault(l => l.LineNumber == number) is not { } ordered)
            {
                Add("ITEM_NOT_ON_ORDER", number, InvoiceMatchStatus.QuantityVariance, $"line {number}: the purchase order has no line {number}");
                continue;
            }

            if (line.InvoicedQuantity.Unit != ordered.OrderedQuantity.Unit)
            {
                Add("UNIT_MISMATCH", number, InvoiceMatchStatus.QuantityVariance, $"line {number}: billed in {line.InvoicedQuantity.Unit}, ordered in {ordered.OrderedQuantity.Unit}");
                continue;
            }

            var billedPrice = line.UnitPrice.ToDecimal();
            var orderedPrice = ordered.UnitPrice.ToDecimal();
            var priceExcess = billedPrice - orderedPrice;
            if (priceExcess > tolerances.Price.Allowed(orderedPrice))
            {
                Add("PRICE_ABOVE_TOLERANCE", number, InvoiceMatchStatus.PriceVariance,
                    $"line {number}: billed {Show(billedPrice)} {currency}/{ordered.OrderedQuantity.Unit}, ordered {Show(orderedPrice)}: {Show(priceExcess)} {currency} above, beyond the price tolerance {tolerances.Price.Display()}");
            }

            var billed = Amounts.Of(ordered.InvoicedQuantity) + line.InvoicedQuantity.ToDecimal();
            var orderedQuantity = ordered.OrderedQuantity.ToDecimal();
            var received = counted.SelectMany(r => r.Lines).Where(l => l.PoLineNumber == number).Sum(l => Amounts.Of(l.ReceivedQuantity));
            var unit = ordered.OrderedQuantity.Unit;
            if (billed - orderedQuantity > tolerances.Quantity.Allowed(orderedQuantity))
            {
                Add("QUANTITY_ABOVE_ORDERED", number, InvoiceMatchStatus.QuantityVariance,
                    $"line {number}: billed {Show(billed)} {unit} in all, ordered {Show(orderedQuantity)}: {Show(billed - orderedQuantity)} {unit} over, beyond the quantity tolerance {tolerances.Quantity.Display()}");
            }
            else if (billed - received > tolerances.Quantity.Allowed(received))
            {
                Add("QUANTITY_NOT_RECEIVED", number, InvoiceMatchStatus.ReceiptPending,
                    $"line {number}: billed {Show(billed)} {unit} in all, received {Show(received)}: {Show(billed - received)} {unit} not received yet, beyond the quantity tolerance {tolerances.Quantity.Display()}");
            }

            var stated = line.Amount.ToDecimal();
            var computed = Amounts.Cents(line.InvoicedQuantity.ToDecimal() * billedPrice);
            if (Math.Abs(stated - computed) > Rounding)
            {
                Add("LINE_AMOUNT_MISMATCH", number, InvoiceMatchStatus.TotalVariance, $"line {number}: amount {Show(stated)} {currency} is not quantity times unit price ({Show(computed)})");
            }
        }

        var sum = invoice.Lines.Sum(l => l.Amount.ToDecimal()) + Amounts.Of(invoice.Tax) + Amounts.Of(invoice.Freight);
        var total = Amounts.Of(invoice.Total);
        if (Math.Abs(total - sum) > Rounding)
        {
            Add("TOTAL_MISMATCH", 0, InvoiceMatchStatus.TotalVariance, $"total {Show(total)} {currency} is not the lines plus tax plus freight ({Show(sum)}): {Show(total - sum)} apart");
        }

        var kinds = exceptions.Select(e => e.Kind).Distinct().ToList();
        var status = kinds.Count switch
        {
            0 => InvoiceMatchStatus.Matched,
            1 => kinds[0],
            _ => InvoiceMatchStatus.MultipleVariances,
        };
        return new MatchResult(status, [.. exceptions.Select(e => e.Exception)], [.. counted.Select(r => r.Name)]);
    }

    private static string Show(decimal value) => value.ToString("0.00##", CultureInfo.InvariantCulture);
}
