using Mesh.Workflows.InventoryToCharge;

namespace Mesh.Workflows.ProcureToPay;

/// <summary>The saga's input: the submitted requisition (by name; the activities read it) and the settings it runs with.</summary>
/// <param name="Requisition">"requisitions/{id}".</param>
/// <param name="Approvers">The approver chain from the first level the estimated total reaches, escalation order.</param>
/// <param name="EscalationWindow">How long each approver has.</param>
/// <param name="InvoiceReceiptWindow">How long an early invoice waits for its goods.</param>
/// <param name="Retry">The retry settings of steps (and of ERP calls, the posting policy).</param>
public sealed record RequisitionCase(string Requisition, IReadOnlyList<string> Approvers, TimeSpan EscalationWindow, TimeSpan InvoiceReceiptWindow, SagaRetry Retry);

/// <summary>What validation found: the supplier and unit price of each line, or why the requisition is refused.</summary>
public sealed record RequisitionCheck(bool Ok, string Reason, string Detail, IReadOnlyList<SourcedLine> Lines);

/// <summary>A requisition line with the supplier it is bought from and its price.</summary>
public sealed record SourcedLine(int LineNumber, string Item, decimal Quantity, string Unit, string Supplier, decimal UnitPrice, string Currency)
{
    /// <summary>The contract whose price <see cref="UnitPrice"/> is, "contracts/{contract}"; empty for off-contract buying (and in histories from before contracts).</summary>
    public string Contract { get; init; } = "";

    /// <summary>The supplier's catalogue number for the item, as the contract line gives it; empty when none does.</summary>
    public string SupplierPartNumber { get; init; } = "";
}

/// <summary>Where a requisition stands after routing: its state, and its reviewer and comment once decided.</summary>
public sealed record Routed(string State, string Reviewer, string Comment);

/// <summary>A decision on a requisition, raised by the intake from RequisitionApproved or RequisitionRejected.</summary>
public sealed record Decision(bool Approved, string Reviewer, string Reason);

/// <summary>The orders to place: the requisition, its sourced lines and who decided it (the orders' approver).</summary>
public sealed record OrdersToPlace(RequisitionCase Case, IReadOnlyList<SourcedLine> Lines, string Approver);

/// <summary>
/// Something that happened to one of the saga's purchase orders, raised by the intake from procurement's events:
/// <see cref="Kinds"/> names which.
/// </summary>
/// <param name="Kind">received, reversed, invoiced, matched or cancelled.</param>
/// <param name="PurchaseOrder">The order.</param>
/// <param name="Document">The receipt or invoice.</param>
public sealed record OrderSignal(string Kind, string PurchaseOrder, string Document);

/// <summary>The signal kinds.</summary>
public static class Kinds
{
    /// <summary>GoodsReceived.</summary>
    public const string Received = "received";

    /// <summary>GoodsReceiptReversed.</summary>
    public const string Reversed = "reversed";

    /// <summary>SupplierInvoiceReceived.</summary>
    public const string Invoiced = "invoiced";

    /// <summary>InvoiceMatched (after the saga's match, or an operator's release of a hold).</summary>
    public const string Matched = "matched";

    /// <summary>PurchaseOrderCancelled.</summary>
    public const string Cancelled = "cancelled";
}

/// <summary>
/// The stock movements a receipt put on hand (or the reversals that took them off), and whether its order is received
/// in full, as procurement says now: an event's copy of that state may be older than the order. <c>OnHand</c> is every
/// receipt of the order on hand after the step, with its movements.
/// </summary>
public sealed record StockMoved(IReadOnlyList<string> Movements, string PurchaseOrder = "", bool OrderReceived = false, IReadOnlyDictionary<string, IReadOnlyList<string>>? OnHand = null);

/// <summary>The outcome of a match: MATCHED, or the hold's status and exceptions.</summary>
public sealed record Matched(bool Ok, bool ReceiptPending, string Status, string Detail);

/// <summary>A matched invoice to post: the invoice and the case.</summary>
public sealed record LiabilityToPost(string Invoice, RequisitionCase Case);

/// <summary>How the case stands when it is recorded: the requisition, outcome, and what it did.</summary>
public sealed record ProcurementRecord(
    string Requisition,
    string Outcome,
    string Reason,
    string Detail,
    bool Exception,
    string Approver,
    int Escalations,
    IReadOnlyList<string> PurchaseOrders,
    IReadOnlyList<string> Receipts,
    IReadOnlyList<string> Movements,
    IReadOnlyList<string> Invoices,
    IReadOnlyList<string> JournalEntries,
    DateTime SubmitTime,
    DateTime At,
    IReadOnlyList<StepTiming> Steps)
{
    /// <summary>True for the record of the case's end (the saga returns it), false while the saga goes on.</summary>
    public bool Final { get; init; }

    /// <summary>Seconds from the saga's start to its orders placed, once placed.</summary>
    public double? RequisitionToOrderSeconds { get; init; }

    /// <summary>For each liability posted, seconds from its order's first receipt on hand (zero when released before any).</summary>
    public IReadOnlyList<double>? ReceiptToPostingSeconds { get; init; }

    /// <summary>The invoices on hold (or past their window without goods) when recorded; null in records of older sagas.</summary>
    public IReadOnlyList<string>? HeldInvoices { get; init; }
}

/// <summary>A requisition and the approver to route it to.</summary>
public sealed record RouteTo(string Requisition, string Approver);

/// <summary>Documents to cancel (a requisition, or the case's orders) and why.</summary>
public sealed record Cancellation(IReadOnlyList<string> Names, string Reason);
