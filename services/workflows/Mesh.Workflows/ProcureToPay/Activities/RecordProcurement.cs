using Dapr.Workflow;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Workflows.V1;
using Mesh.Workflows.Cases;

namespace Mesh.Workflows.ProcureToPay.Activities;

/// <summary>
/// Records how a procure-to-pay case stands in the flow's case store: an exception (a refusal, a hold, an invoice
/// without its goods) joins the queue; the case's conclusion (completed or rejected) takes it off again.
/// </summary>
public sealed class RecordProcurement(ProcureToPayCases cases, ProcureToPayMetrics metrics, ILogger<RecordProcurement> logger) : WorkflowActivity<ProcurementRecord, bool>
{
    /// <inheritdoc />
    public override async Task<bool> RunAsync(WorkflowActivityContext context, ProcurementRecord input)
    {
        // The case's one run: a procure-to-pay case is never replayed, its waiting saga resumes.
        var recorded = CaseOf(input);
        recorded.RunInstanceIds.Add(context.InstanceId);
        await cases.Store.RecordAsync(recorded, unlessRecorded: false, CancellationToken.None);
        if (input.Final)
        {
            metrics.Concluded(context.InstanceId, input);
        }
        else
        {
            metrics.Progressed(context.InstanceId, nameof(RecordProcurement));
        }

        logger.LogInformation("Procure-to-pay case {Requisition}: {Outcome}", input.Requisition, input.Outcome);
        return true;
    }

    /// <summary>The case of a record.</summary>
    public static Case CaseOf(ProcurementRecord record) => new()
    {
        Name = CaseNames.Of(ProcureToPayIds.FlowId, record.Requisition["requisitions/".Length..]),
        State = record.Exception ? CaseState.Exception : CaseState.Completed,
        Reason = record.Reason,
        Detail = record.Detail,
        // A procure-to-pay case is never run again from the start: its holds are released (CaseService.ReleaseHold),
        // and the saga that waits on them resumes.
        Replayable = false,
        ConcludeTime = Timestamp.FromDateTime(DateTime.SpecifyKind(record.At, DateTimeKind.Utc)),
        Steps = { record.Steps.Select(s => new CaseStep { Step = s.Step, Duration = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(s.Milliseconds)) }) },
        ProcureToPay = new ProcureToPayCase
        {
            Requisition = record.Requisition,
            Outcome = record.Outcome,
            Approver = record.Approver,
            Escalations = record.Escalations,
            PurchaseOrders = { record.PurchaseOrders },
            GoodsReceipts = { record.Receipts },
            StockMovements = { record.Movements },
            SupplierInvoices = { record.Invoices },
            JournalEntries = { record.JournalEntries },
            HeldSupplierInvoices = { record.HeldInvoices ?? [] },
            SubmitTime = Timestamp.FromDateTime(DateTime.SpecifyKind(record.SubmitTime, DateTimeKind.Utc)),
        },
    };
}
