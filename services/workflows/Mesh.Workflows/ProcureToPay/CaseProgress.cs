using Dapr.Workflow;
using Mesh.Workflows.InventoryToCharge;

namespace Mesh.Workflows.ProcureToPay;

/// <summary>
/// What a procure-to-pay saga has done so far, rebuilt identically on every replay of its history: the orders, the
/// receipts and their stock movements, the invoices waiting, held and posted, and how long each step took.
/// </summary>
public sealed class CaseProgress(RequisitionCase input, DateTime started)
{
    private readonly List<StepTiming> steps = [];
    private readonly Dictionary<string, DateTime> firstReceipt = [];
    private readonly List<double> receiptToPosting = [];
    private DateTime? last;
    private double? requisitionToOrder;

    /// <summary>The requisition's approver once decided.</summary>
    public string Approver { get; set; } = "";

    /// <summary>How often the decision was escalated.</summary>
    public int Escalations { get; set; }

    /// <summary>The orders placed.</summary>
    public List<string> Orders { get; } = [];

    /// <summary>Orders cancelled since.</summary>
    public HashSet<string> Cancelled { get; } = [];

    /// <summary>Whether each order is received in full, by order.</summary>
    public Dictionary<string, bool> Received { get; } = [];

    /// <summary>The receipts put on hand and their movements.</summary>
    public Dictionary<string, List<string>> Receipts { get; } = [];

    /// <summary>Invoices billing goods not received yet, within their window.</summary>
    public HashSet<string> Waiting { get; } = [];

    /// <summary>Invoices on hold (on the exception queue) until an operator releases them or goods arrive.</summary>
    public HashSet<string> Held { get; } = [];

    /// <summary>Matched invoices and their accounts payable entries.</summary>
    public Dictionary<string, string> Posted { get; } = [];

    /// <summary>Signals handled, "{kind}:{document}", so a duplicate is handled once.</summary>
    public HashSet<string> Seen { get; } = [];

    /// <summary>True once every order not cancelled is received in full and has a posted invoice, and no invoice waits or is held.</summary>
    public bool Done =>
        Orders.Where(o => !Cancelled.Contains(o)).All(o => Received.GetValueOrDefault(o) && Posted.Keys.Any(i => InvoiceOrders.GetValueOrDefault(i) == o))
        && Waiting.Count == 0 && Held.Count == 0;

    /// <summary>The order each invoice bills, as the signals said.</summary>
    public Dictionary<string, string> InvoiceOrders { get; } = [];

    /// <summary>Closes the step that ran since the last one, on the workflow's replay-safe clock.</summary>
    public void Step(string step, WorkflowContext context)
    {
        var now = context.CurrentUtcDateTime;
        steps.Add(new StepTiming(step, (now - (last ?? started)).TotalMilliseconds));
        last = now;
    }

    /// <summary>The orders are placed now: the requisition-to-PO latency.</summary>
    public void Ordered(WorkflowContext context) => requisitionToOrder = (context.CurrentUtcDateTime - started).TotalSeconds;

    /// <summary>Goods of <paramref name="order"/> are on hand now; its first receipt starts its invoices' receipt-to-posting time.</summary>
    public void GoodsOnHand(string order, WorkflowContext context) => firstReceipt.TryAdd(order, context.CurrentUtcDateTime);

    /// <summary>The liability of <paramref name="invoice"/> is posted now.</summary>
    public void LiabilityPosted(string invoice, WorkflowContext context)
    {
        var now = context.CurrentUtcDateTime;
        var since = InvoiceOrders.TryGetValue(invoice, out var order) && firstReceipt.TryGetValue(order, out var received) ? received : now;
        receiptToPosting.Add((now - since).TotalSeconds);
    }

    /// <summary>The case refused before anything was ordered (an exception).</summary>
    public ProcurementRecord Refused(string reason, string detail) => Record(reason, reason, detail, exception: true);

    /// <summary>The case as it ends: "completed", or "rejected" with the approver's reason.</summary>
    public ProcurementRecord Ended(string outcome, string detail) => Record(outcome, "", detail, exception: false);

    /// <summary>The case on the exception queue while the saga waits (a hold, an invoice without goods).</summary>
    public ProcurementRecord Exception(string reason, string detail) => Record(reason, reason, detail, exception: true);

    private ProcurementRecord Record(string outcome, string reason, string detail, bool exception) => new(
        input.Requisition, outcome, reason, detail, exception, Approver, Escalations, [.. Orders], [.. Receipts.Keys],
        [.. Receipts.Values.SelectMany(m => m)], [.. Posted.Keys], [.. Posted.Values], started, last ?? started, [.. steps])
    {
        RequisitionToOrderSeconds = requisitionToOrder,
        ReceiptToPostingSeconds = [.. receiptToPosting],
        HeldInvoices = exception ? [.. Held.Order(StringComparer.Ordinal)] : [],
    };
}

/// <summary>The ids the saga derives, and its exception reasons.</summary>
public static class ProcureToPayIds
{
    /// <summary>The flow id: cases are "flows/procure-to-pay/cases/{requisition id}".</summary>
    public const string FlowId = "procure-to-pay";

    /// <summary>The saga instance of a requisition.</summary>
    public static string InstanceIdOf(string requisitionId) => $"p2p-{requisitionId}";

    /// <summary>The requisition id (the case id) of a saga instance.</summary>
    public static string CaseIdOf(string instanceId) => instanceId.StartsWith("p2p-", StringComparison.Ordinal) ? instanceId["p2p-".Length..] : instanceId;

    /// <summary>The orders the saga places for a requisition's lines: "{requisition id}-{n}" per supplier.</summary>
    public static List<string> OrdersOf(string requisition, IReadOnlyList<SourcedLine> lines) =>
        [.. Enumerable.Range(1, lines.Select(l => l.Supplier).Distinct().Count()).Select(n => $"purchaseOrders/{requisition["requisitions/".Length..]}-{n}")];

    /// <summary>The exception reason of an invoice hold, from its match status, e.g. "invoice_price_variance".</summary>
    public static string HoldReason(string matchStatus) => matchStatus switch
    {
        "PriceVariance" => "invoice_price_variance",
        "QuantityVariance" => "invoice_quantity_variance",
        "TotalVariance" => "invoice_total_variance",
        "ReceiptPending" => "receipt_missing",
        _ => "invoice_multiple_variances",
    };
}
