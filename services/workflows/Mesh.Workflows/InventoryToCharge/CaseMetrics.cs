using System.Diagnostics.Metrics;
using Mesh.Workflows.Cases;
using Microsoft.Extensions.Options;

namespace Mesh.Workflows.InventoryToCharge;

/// <summary>
/// The flow's business metrics: the KPIs every flow has (<see cref="FlowMetrics"/>, "mesh.inventory_to_charge.*";
/// stalled after <see cref="InventoryToChargeOptions.StalledAfter"/>), consumption-to-posting latency, and the cases
/// waiting on the ERP posting (the ERP backlog).
/// </summary>
public sealed class CaseMetrics : FlowMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Mesh.Workflows.InventoryToCharge";

    /// <summary>The step of a case waiting on the ERP: the cost posting.</summary>
    public const string PostingStep = nameof(PostCost);

    // Seconds; 300 is the flow's objective (consumption-to-posting within 5 minutes), so the SLO reads one bucket.
    private static readonly double[] LatencyBuckets = [0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 14400, 86400];

    private readonly Histogram<double> latency;

    /// <summary>Creates the instruments.</summary>
    public CaseMetrics(IMeterFactory meters, TimeProvider time, IOptions<InventoryToChargeOptions> options)
        : base(meters, time, MeterName, "inventory_to_charge", options.Value.StalledAfter)
    {
        latency = Meter.CreateHistogram("mesh.inventory_to_charge.consumption_to_posting", "s", "From the supply's consumption to its cost posted in the ERP",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        Meter.CreateObservableGauge("mesh.inventory_to_charge.erp.backlog", () => OnStep(PostingStep), "{case}", "Cases waiting on their cost posting in the ERP");
    }

    /// <summary>Counts a concluded case and, when completed, its latency.</summary>
    public void Concluded(CaseOutcome outcome)
    {
        Concluded(outcome.EventId, outcome.Status, outcome.Reason);
        if (outcome.Status == CaseOutcome.Completed)
        {
            latency.Record((outcome.PostTime - outcome.OccurTime).TotalSeconds);
        }
    }
}
