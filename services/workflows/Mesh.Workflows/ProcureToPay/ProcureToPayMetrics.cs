using System.Diagnostics.Metrics;
using Mesh.Workflows.Cases;
using Microsoft.Extensions.Options;

namespace Mesh.Workflows.ProcureToPay;

/// <summary>
/// The procure-to-pay KPIs: those every flow has (<see cref="FlowMetrics"/>, "mesh.procure_to_pay.*", keyed by saga
/// instance; stalled after <see cref="ProcureToPayOptions.StalledAfter"/>), requisition-to-PO latency (saga start to
/// its orders placed) and receipt-to-posting latency (an order's first receipt on hand to each of its invoices'
/// liability posted). Latencies are recorded when the case completes, from its record: the workflow's replay-safe
/// clock measured them, and an activity that runs again does not record them twice.
/// </summary>
public sealed class ProcureToPayMetrics : FlowMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Mesh.Workflows.ProcureToPay";

    // Seconds: minutes (an approver at hand) to weeks (goods on back order); one day is the posting objective's bucket.
    private static readonly double[] LatencyBuckets = [1, 5, 15, 60, 300, 900, 3600, 14400, 28800, 86400, 172800, 345600, 604800, 1209600];

    private readonly Histogram<double> requisitionToOrder;
    private readonly Histogram<double> receiptToPosting;

    /// <summary>Creates the instruments.</summary>
    public ProcureToPayMetrics(IMeterFactory meters, TimeProvider time, IOptions<ProcureToPayOptions> options)
        : base(meters, time, MeterName, "procure_to_pay", options.Value.StalledAfter)
    {
        var advice = new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets };
        requisitionToOrder = Meter.CreateHistogram("mesh.procure_to_pay.requisition_to_order", "s", "From the requisition's saga start to its purchase orders placed", advice: advice);
        receiptToPosting = Meter.CreateHistogram("mesh.procure_to_pay.receipt_to_posting", "s", "From an order's goods received to its invoice's liability posted", advice: advice);
    }

    /// <summary>Counts a concluded case (completed, rejected, or an exception with its reason) and, when completed, its latencies.</summary>
    public void Concluded(string instanceId, ProcurementRecord record)
    {
        Concluded(instanceId, record.Exception ? "exception" : record.Outcome, record.Reason);
        if (record.Outcome != "completed")
        {
            return;
        }

        if (record.RequisitionToOrderSeconds is { } ordered)
        {
            requisitionToOrder.Record(ordered);
        }

        foreach (var seconds in record.ReceiptToPostingSeconds ?? [])
        {
            receiptToPosting.Record(seconds);
        }
    }
}
