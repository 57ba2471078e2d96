using Dapr.Workflow;
using Mesh.Workflows.InventoryToCharge;
using Mesh.Workflows.ProcureToPay.Activities;

namespace Mesh.Workflows.ProcureToPay;

/// <summary>
/// The procure-to-pay saga of one requisition: validate its lines against master data, route it to the approver its
/// estimated total calls for and wait for the decision (escalating to the next level when none comes within the
/// window), place one purchase order per supplier through the ERP, then follow the orders: each receipt's goods go on
/// hand through inventory, each invoice is matched three ways and, once matched (by the match or by an operator who
/// releases its hold), its liability is posted through finance. Holds and invoices still waiting for goods after the
/// window go on the exception queue while the saga keeps waiting; the case completes when every order is received and
/// invoiced. Signals arrive as external events, in any order and possibly twice: each document is handled once.
/// </summary>
public sealed class ProcureToPayWorkflow : Workflow<RequisitionCase, ProcurementRecord>
{
    /// <summary>The external event of a decision on the requisition.</summary>
    public const string DecisionEvent = "decision";

    /// <summary>The external event of something that happened to one of the case's orders.</summary>
    public const string OrderEvent = "order";

    /// <inheritdoc />
    public override async Task<ProcurementRecord> RunAsync(WorkflowContext context, RequisitionCase input)
    {
        var state = new CaseProgress(input, context.CurrentUtcDateTime);
        var steps = new WorkflowTaskOptions(input.Retry.Steps());
        var erp = new WorkflowTaskOptions(input.Retry.Posting());

        var check = await context.CallActivityAsync<RequisitionCheck>(nameof(ValidateRequisition), input, steps);
        state.Step("validate", context);
        if (!check.Ok)
        {
            await context.CallActivityAsync<bool>(nameof(CancelRequisition), new Cancellation([input.Requisition], $"{check.Reason}: {check.Detail}"), steps);
            return await ConcludeAsync(context, state.Refused(check.Reason, check.Detail), steps);
        }

        var decision = await DecideAsync(context, input, state, steps);
        state.Step("approval", context);
        if (decision is null)
        {
            await context.CallActivityAsync<bool>(nameof(CancelRequisition), new Cancellation([input.Requisition], "approval_timeout"), steps);
            return await ConcludeAsync(context, state.Refused("approval_timeout", $"no decision from {string.Join(", ", input.Approvers)} within {input.EscalationWindow} each"), steps);
        }

        state.Approver = decision.Reviewer;
        if (!decision.Approved)
        {
            return await ConcludeAsync(context, state.Ended("rejected", decision.Reason), steps);
        }

        try
        {
            state.Orders.AddRange(await context.CallActivityAsync<List<string>>(nameof(PlaceOrders), new OrdersToPlace(input, check.Lines, decision.Reviewer), erp));
        }
        catch (WorkflowTaskFailedException e)
        {
            // Orders already sent must not stay open at the ERP: cancel whatever was placed.
            var placed = await context.CallActivityAsync<List<string>>(nameof(CancelOrders), new Cancellation(ProcureToPayIds.OrdersOf(input.Requisition, check.Lines), "order_failed"), steps);
            return await ConcludeAsync(context, state.Refused("order_failed", $"{e.FailureDetails.ErrorMessage}; cancelled: {string.Join(", ", placed)}"), steps);
        }

        state.Step("order", context);
        state.Ordered(context);
        await FollowOrdersAsync(context, input, state, steps, erp);
        return await ConcludeAsync(context, state.Ended("completed", ""), steps);
    }

    // Routes to each approver in turn; null when nobody decided within their window.
    private static async Task<Decision?> DecideAsync(WorkflowContext context, RequisitionCase input, CaseProgress state, WorkflowTaskOptions steps)
    {
        for (var level = 0; level < input.Approvers.Count; level++)
        {
            var routed = await context.CallActivityAsync<Routed>(nameof(RouteRequisition), new RouteTo(input.Requisition, input.Approvers[level]), steps);
            if (routed.State is "Approved" or "Rejected")
            {
                return new Decision(routed.State == "Approved", routed.Reviewer, routed.Comment);
            }

            try
            {
                return await context.WaitForExternalEventAsync<Decision>(DecisionEvent, input.EscalationWindow);
            }
            catch (TaskCanceledException)
            {
                state.Escalations = level + 1 < input.Approvers.Count ? state.Escalations + 1 : state.Escalations;
            }
        }

        return null;
    }

    private static async Task FollowOrdersAsync(WorkflowContext context, RequisitionCase input, CaseProgress state, WorkflowTaskOptions steps, WorkflowTaskOptions erp)
    {
        while (!state.Done)
        {
            OrderSignal signal;
            try
            {
                signal = state.Waiting.Count == 0
                    ? await context.WaitForExternalEventAsync<OrderSignal>(OrderEvent)
                    : await context.WaitForExternalEventAsync<OrderSignal>(OrderEvent, input.InvoiceReceiptWindow);
            }
            catch (TaskCanceledException)
            {
                // An invoice waited for its goods for the whole window: on the exception queue, still waiting.
                state.Held.UnionWith(state.Waiting);
                await RecordAsync(context, state.Exception("receipt_missing", $"{string.Join(", ", state.Waiting)} bill goods not received within {input.InvoiceReceiptWindow}"), steps);
                state.Waiting.Clear();
                continue;
            }

            if (!state.Seen.Add($"{signal.Kind}:{signal.Document}"))
            {
                continue;
            }

            switch (signal.Kind)
            {
                case Kinds.Received:
                    var moved = await context.CallActivityAsync<StockMoved>(nameof(PutReceiptOnHand), signal.Document, steps);
                    // The order's other receipts went on hand with it; their own signals, if still to come, move nothing twice.
                    foreach (var (receipt, movements) in moved.OnHand ?? new Dictionary<string, IReadOnlyList<string>> { [signal.Document] = moved.Movements })
                    {
                        state.Receipts[receipt] = [.. movements];
                    }

                    state.Received[signal.PurchaseOrder] = moved.OrderReceived;
                    state.Step("receive", context);
                    state.GoodsOnHand(signal.PurchaseOrder, context);
                    // Goods may be what a waiting or held invoice needed.
                    foreach (var invoice in state.Waiting.Concat(state.Held).ToList())
                    {
                        await MatchAsync(context, state, invoice, steps, erp);
                    }

                    break;
                case Kinds.Reversed when state.Receipts.Remove(signal.Document, out var movements):
                    var undone = await context.CallActivityAsync<StockMoved>(nameof(TakeReceiptOffHand), new StockMoved(movements, signal.PurchaseOrder), steps);
                    state.Received[signal.PurchaseOrder] = undone.OrderReceived;
                    break;
                case Kinds.Invoiced:
                    state.InvoiceOrders[signal.Document] = signal.PurchaseOrder;
                    await MatchAsync(context, state, signal.Document, steps, erp);
                    break;
                case Kinds.Matched when state.Held.Contains(signal.Document) || state.Waiting.Contains(signal.Document):
                    // An operator released the hold: the invoice is matched as billed.
                    await PostAsync(context, state, signal.Document, erp);
                    break;
                case Kinds.Cancelled:
                    state.Cancelled.Add(signal.PurchaseOrder);
                    break;
            }
        }
    }

    private static async Task MatchAsync(WorkflowContext context, CaseProgress state, string invoice, WorkflowTaskOptions steps, WorkflowTaskOptions erp)
    {
        if (state.Posted.ContainsKey(invoice))
        {
            return;
        }

        var matched = await context.CallActivityAsync<Matched>(nameof(MatchInvoice), invoice, steps);
        state.Step("match", context);
        if (matched.Ok)
        {
            await PostAsync(context, state, invoice, erp);
        }
        else if (matched.ReceiptPending && !state.Held.Contains(invoice))
        {
            state.Waiting.Add(invoice);
        }
        else
        {
            state.Waiting.Remove(invoice);
            if (state.Held.Add(invoice))
            {
                await RecordAsync(context, state.Exception(ProcureToPayIds.HoldReason(matched.Status), $"{invoice}: {matched.Detail}"), steps);
            }
        }
    }

    private static async Task PostAsync(WorkflowContext context, CaseProgress state, string invoice, WorkflowTaskOptions erp)
    {
        state.Posted[invoice] = await context.CallActivityAsync<string>(nameof(PostLiability), invoice, erp);
        state.Held.Remove(invoice);
        state.Waiting.Remove(invoice);
        state.Step("post", context);
        state.LiabilityPosted(invoice, context);
    }

    private static Task RecordAsync(WorkflowContext context, ProcurementRecord record, WorkflowTaskOptions steps) =>
        context.CallActivityAsync<bool>(nameof(RecordProcurement), record, steps);

    private static async Task<ProcurementRecord> ConcludeAsync(WorkflowContext context, ProcurementRecord record, WorkflowTaskOptions steps)
    {
        var concluded = record with { At = context.CurrentUtcDateTime, Final = true };
        await RecordAsync(context, concluded, steps);
        return concluded;
    }
}
