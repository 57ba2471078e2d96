using System.Diagnostics.Metrics;

namespace Mesh.Workflows.InventoryToCharge;

/// <summary>
/// The flow's business metrics (exported by the service defaults' OpenTelemetry, which collects every "Mesh."
/// meter): cases concluded by status and reason, consumption-to-posting latency, and the exception queue's depth.
/// </summary>
public sealed class CaseMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Mesh.Workflows.InventoryToCharge";

    private readonly Counter<long> cases;
    private readonly Histogram<double> latency;
    private int queueDepth;

    /// <summary>Creates the instruments.</summary>
    public CaseMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        cases = meter.CreateCounter<long>("mesh.inventory_to_charge.cases", "{case}", "Cases concluded, by status and reason");
        latency = meter.CreateHistogram<double>("mesh.inventory_to_charge.consumption_to_posting", "s", "From the supply's consumption to its cost posted in the ERP");
        meter.CreateObservableGauge("mesh.inventory_to_charge.exception_queue.depth", () => Volatile.Read(ref queueDepth), "{case}", "Cases waiting on the exception queue");
    }

    /// <summary>Counts a concluded case and, when completed, its latency.</summary>
    public void Concluded(CaseOutcome outcome)
    {
        cases.Add(1, new KeyValuePair<string, object?>("status", outcome.Status), new KeyValuePair<string, object?>("reason", outcome.Reason));
        if (outcome.Status == CaseOutcome.Completed)
        {
            latency.Record((outcome.PostTime - outcome.OccurTime).TotalSeconds);
        }
    }

    /// <summary>The exception queue's depth as last read or written (by one queue change at a time).</summary>
    public void QueueDepth(int depth) => Volatile.Write(ref queueDepth, depth);
}
