using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Mesh.Workflows.Cases;

/// <summary>
/// The KPIs every saga's cases share, under "mesh.{flow}." (exported by the service defaults' OpenTelemetry, which
/// collects every "Mesh." meter, and scraped at <c>/metrics</c>): sagas started, cases concluded by status and reason
/// (throughput), the exception queue's depth by reason, and the cases in flight here and those stalled (no step begun
/// for the flow's stalled-after time). Cases in flight are those this process has seen start or take a step; after a
/// restart a resumed case counts again from its next step. A flow adds its own instruments on <see cref="Meter"/>.
/// </summary>
public abstract class FlowMetrics
{
    private readonly Counter<long> cases;
    private readonly Counter<long> started;
    private readonly ConcurrentDictionary<string, int> queueDepth = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Step, DateTimeOffset Since)> inFlight = new(StringComparer.Ordinal);
    private readonly TimeProvider time;
    private readonly TimeSpan stalledAfter;

    /// <summary>Creates the shared instruments on the meter <paramref name="meterName"/>, named "mesh.<paramref name="flow"/>.*".</summary>
    protected FlowMetrics(IMeterFactory meters, TimeProvider time, string meterName, string flow, TimeSpan stalledAfter)
    {
        this.time = time;
        this.stalledAfter = stalledAfter;
        Meter = meters.Create(meterName);
        cases = Meter.CreateCounter<long>($"mesh.{flow}.cases", "{case}", "Cases concluded, by status and reason");
        started = Meter.CreateCounter<long>($"mesh.{flow}.cases.started", "{case}", "Sagas started");
        Meter.CreateObservableGauge($"mesh.{flow}.exception_queue.depth", QueueDepths, "{case}", "Cases waiting on the exception queue, by reason");
        Meter.CreateObservableGauge($"mesh.{flow}.cases.in_flight", () => inFlight.Count, "{case}", "Cases started and not concluded");
        Meter.CreateObservableGauge($"mesh.{flow}.cases.stalled", () => Stalled().Count(), "{case}", "Cases in flight with no step begun for the stalled-after time");
    }

    /// <summary>How long a case in flight may go without beginning a step before it counts as stalled.</summary>
    public TimeSpan StalledAfter => stalledAfter;

    /// <summary>The flow's meter, for its own instruments.</summary>
    protected Meter Meter { get; }

    /// <summary>A saga started for the case <paramref name="caseKey"/>.</summary>
    public void Started(string caseKey)
    {
        started.Add(1);
        inFlight[caseKey] = ("started", time.GetUtcNow());
    }

    /// <summary>
    /// The case <paramref name="caseKey"/> begins <paramref name="step"/> (an activity's name); a retry of the step it is on
    /// is no progress, so a case retrying one step for long shows as stalled.
    /// </summary>
    public void Progressed(string caseKey, string step)
    {
        var now = time.GetUtcNow();
        inFlight.AddOrUpdate(caseKey, (step, now), (_, current) => current.Step == step ? current : (step, now));
    }

    /// <summary>Counts a concluded case; it is no longer in flight.</summary>
    public void Concluded(string caseKey, string status, string reason)
    {
        inFlight.TryRemove(caseKey, out _);
        cases.Add(1, new KeyValuePair<string, object?>("status", status), new KeyValuePair<string, object?>("reason", reason));
    }

    /// <summary>The exception queue's depth by reason, as last written (by one queue change at a time).</summary>
    public void QueueDepth(QueueDepth depth)
    {
        foreach (var (reason, count) in depth.ByReason)
        {
            queueDepth[reason] = count;
        }
    }

    /// <summary>The cases in flight with no step begun for the stalled-after time: their key, step and since when.</summary>
    public IEnumerable<(string CaseKey, string Step, DateTimeOffset Since)> Stalled()
    {
        var now = time.GetUtcNow();
        return inFlight.Where(c => now - c.Value.Since >= stalledAfter).Select(c => (c.Key, c.Value.Step, c.Value.Since));
    }

    /// <summary>How many cases in flight are on <paramref name="step"/>.</summary>
    protected int OnStep(string step) => inFlight.Values.Count(c => c.Step == step);

    private IEnumerable<Measurement<int>> QueueDepths() =>
        queueDepth.Select(d => new Measurement<int>(d.Value, new KeyValuePair<string, object?>("reason", d.Key)));
}
