using System.Globalization;
using System.Text;

namespace Mesh.Scenarios;

/// <summary>
/// The procure-to-pay reconciliation a controller signs: requisitions by outcome, orders sent and acknowledged by the
/// ERP, order lines of contracted items at their contract price, receipts and the stock they added per location, invoices matched and on hold by reason, accounts payable
/// postings against matched invoices, duplicates (which must be zero), and the latencies.
/// </summary>
public sealed record ProcureToPayReport(
    int Requisitions,
    int CasesSettled,
    int Completed,
    int Rejected,
    IReadOnlyDictionary<string, int> ExceptionsByReason,
    int OrdersSent,
    int OrdersAcknowledged,
    int ContractLines,
    int ContractLinesOff,
    int Receipts,
    int BalancesChecked,
    int BalancesOff,
    int InvoicesMatched,
    IReadOnlyDictionary<string, int> InvoicesOnHold,
    int ApPostings,
    int DuplicatesSent,
    int Duplicates,
    double RequisitionToOrderP50Ms,
    double RequisitionToOrderP95Ms,
    double ReceiptToPostingP50Ms,
    double ReceiptToPostingP95Ms)
{
    /// <summary>
    /// True when every requisition settled, the ERP holds each order and posting once, every contracted line is at its
    /// contract's price, and stock and postings match what was received and matched.
    /// </summary>
    public bool Balances =>
        CasesSettled == Requisitions && Duplicates == 0 && BalancesOff == 0 && ContractLinesOff == 0
        && OrdersAcknowledged == OrdersSent && ApPostings == InvoicesMatched;

    /// <summary>The report as a controller reads it.</summary>
    public string Format()
    {
        var text = new StringBuilder();
        void Line(string label, object value, string note = "") =>
            text.AppendLine(CultureInfo.InvariantCulture, $"  {label,-34}{value,10}  {note}");

        text.AppendLine("Procure-to-pay reconciliation");
        Line("requisitions", Requisitions);
        Line("cases settled", CasesSettled, CasesSettled == Requisitions ? "" : $"({Requisitions - CasesSettled} NOT settled)");
        Line("  completed", Completed);
        Line("  rejected", Rejected);
        foreach (var (reason, count) in ExceptionsByReason.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            Line($"  on the exception queue: {reason}", count);
        }

        Line("purchase orders sent", OrdersSent, $"{OrdersAcknowledged} acknowledged by the ERP");
        Line("contracted lines at contract price", $"{ContractLines - ContractLinesOff}/{ContractLines}", "order lines of items under contract");
        Line("goods receipts", Receipts);
        Line("stock increase = received", $"{BalancesChecked - BalancesOff}/{BalancesChecked}", "balances per location and item");
        Line("invoices matched", InvoicesMatched);
        foreach (var (status, count) in InvoicesOnHold.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            Line($"  on hold: {status}", count);
        }

        Line("AP postings", ApPostings, $"expected {InvoicesMatched} (matched invoices)");
        Line("duplicates", Duplicates, $"(must be 0; {DuplicatesSent} events delivered twice)");
        Line("requisition-to-PO p50", $"{RequisitionToOrderP50Ms:0} ms");
        Line("requisition-to-PO p95", $"{RequisitionToOrderP95Ms:0} ms");
        Line("receipt-to-posting p50", $"{ReceiptToPostingP50Ms:0} ms");
        Line("receipt-to-posting p95", $"{ReceiptToPostingP95Ms:0} ms");
        text.AppendLine(Balances ? "RECONCILED: every order, receipt and posting is accounted for once in every system." : "NOT RECONCILED: see the counts above.");
        return text.ToString();
    }
}
