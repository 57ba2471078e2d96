using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Mesh.Workflows.Cases;
using Microsoft.Extensions.Options;

namespace Mesh.Workflows.InventoryToCharge;

/// <summary>
/// The flow's business metrics (exported by the service defaults' OpenTelemetry, which collects every "Mesh."
/// meter, and scraped at <c>/metrics</c>): cases started and concluded by status and reason (throughput),
/// consumption-to-posting latency, the exception queue's depth by reason, and the cases in flight here, those
/// stalled (no step begun for <see cref="InventoryToChargeOptions.StalledAfter"/>) and those waiting on the ERP
/// posting (the ERP backlog). Cases in flight are those this process has seen start or take a step; after a restart a
/// resumed case counts again from its next step.
/// </summary>
public sealed class CaseMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Mesh.Workflows.InventoryToCharge";

    /// <summary>The step of a case waiting on the ERP: the cost posting.</summary>
    public const string PostingStep = nameof(PostCost);

    // Seconds; 300 is the flow's objective (consumption-to-posting within 5 minutes), so the SLO reads one bucket.
    private static readonly double[] LatencyBuckets = [0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 14400, 86400];

    private readonly Counter<long> cases;
    private readonly Counter<long> started;
    private readonly Histogram<double> latency;
    private readonly ConcurrentDictionary<string, int> queueDepth = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Step, DateTimeOffset Since)> inFlight = new(StringComparer.Ordinal);
    private readonly TimeProvider time;
    private readonly TimeSpan stalledAfter;

    /// <summary>Creates the instruments.</summary>
    public CaseMetrics(IMeterFactory meters, TimeProvider time, IOptions<InventoryToChargeOptions> options)
    {
        this.time = time;
        stalledAfter = options.Value.StalledAfter;
        var meter = meters.Create(MeterName);
        cases = meter.CreateCounter<long>("mesh.inventory_to_charge.cases", "{case}", "Cases concluded, by status and reason");
        started = meter.CreateCounter<long>("mesh.inventory_to_charge.cases.started", "{case}", "Sagas started (events accepted, replays)");
        latency = meter.CreateHistogram("mesh.inventory_to_charge.consumption_to_posting", "s", "From the supply's consumption to its cost posted in the ERP",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        meter.CreateObservableGauge("mesh.inventory_to_charge.exception_queue.depth", QueueDepths, "{case}", "Cases waiting on the exception queue, by reason");
        meter.CreateObservableGauge("mesh.inventory_to_charge.cases.in_flight", () => inFlight.Count, "{case}", "Cases started and not concluded");
        meter.CreateObservableGauge("mesh.inventory_to_charge.cases.stalled", Stalled, "{case}", "Cases in flight with no step begun for the stalled-after time");
        meter.CreateObservableGauge("mesh.inventory_to_charge.erp.backlog", () => inFlight.Values.Count(c => c.Step == PostingStep), "{case}", "Cases waiting on their cost posting in the ERP");
    }

    /// <summary>A saga started for the case of <paramref name="eventId"/>.</summary>
    public void Started(string eventId)
    {
        started.Add(1);
        inFlight[eventId] = ("started", time.GetUtcNow());
    }

    /// <summary>
    /// The case of <paramref name="eventId"/> begins <paramref name="step"/> (an activity's name); a retry of the step it is
    /// on is no progress, so a case retrying one step for long shows as stalled.
    /// </summary>
    public void Progressed(string eventId, string step)
    {
        var now = time.GetUtcNow();
        inFlight.AddOrUpdate(eventId, (step, now), (_, current) => current.Step == step ? current : (step, now));
    }

    /// <summary>Counts a concluded case and, when completed, its latency.</summary>
    public void Concluded(CaseOutcome outcome)
    {
        inFlight.TryRemove(outcome.EventId, out _);
        cases.Add(1, new KeyValuePair<string, object?>("status", outcome.Status), new KeyValuePair<string, object?>("reason", outcome.Reason));
        if (outcome.Status == CaseOutcome.Completed)
        {
            latency.Record((outcome.PostTime - outcome.OccurTime).TotalSeconds);
        }
    }

    /// <summary>The exception queue's depth by reason, as last written (by one queue change at a time).</summary>
    public void QueueDepth(QueueDepth depth)
    {
        foreach (var (reason, count) in depth.ByReason)
        {
            queueDepth[reason] = count;
        }
    }

    private IEnumerable<Measurement<int>> QueueDepths() =>
        queueDepth.Select(d => new Measurement<int>(d.Value, new KeyValuePair<string, object?>("reason", d.Key)));

    private int Stalled()
    {
        var now = time.GetUtcNow();
        return inFlight.Values.Count(c => now - c.Since >= stalledAfter);
    }
}
