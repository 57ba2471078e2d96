using Mesh.Contracts.Workflows.V1;

namespace Mesh.Console.Flows;

/// <summary>One interval of a flow's chart: the cases that concluded in it, and the p95 latency of those completed.</summary>
/// <param name="Start">The start of the interval.</param>
/// <param name="Concluded">Cases that first concluded in it.</param>
/// <param name="LatencyP95Ms">The p95 occurrence-to-posting latency of its completed cases; null when none completed.</param>
public sealed record FlowInterval(DateTimeOffset Start, int Concluded, double? LatencyP95Ms);

/// <summary>
/// A flow's KPIs, counted from its cases as the workflows app lists them (never estimated): how many completed, what
/// is on the exception queue by reason, how many were dismissed, the occurrence-to-posting latency of the completed
/// ones, and throughput and latency over time. Percentiles are nearest-rank, as the demo's reconciliation report
/// computes them, so the two agree on the same cases.
/// </summary>
public sealed record FlowKpis(
    int Concluded,
    int Completed,
    IReadOnlyDictionary<string, int> ExceptionsByReason,
    int Dismissed,
    double LatencyP50Ms,
    double LatencyP95Ms,
    TimeSpan Interval,
    IReadOnlyList<FlowInterval> Intervals)
{
    private static readonly TimeSpan[] ChartIntervals =
    [
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30),
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15), TimeSpan.FromHours(1), TimeSpan.FromDays(1),
    ];

    /// <summary>The most intervals a chart shows.</summary>
    public const int MaxIntervals = 60;

    /// <summary>The cases on the exception queue.</summary>
    public int OnQueue => ExceptionsByReason.Values.Sum();

    /// <summary>Counts the KPIs of <paramref name="cases"/>.</summary>
    public static FlowKpis From(IReadOnlyList<Case> cases)
    {
        var completed = cases.Where(c => c.State == CaseState.Completed).ToList();
        var latencies = completed.Select(LatencyMs).OfType<double>().Order().ToList();
        var concluded = cases.Where(c => c.ConcludeTime is not null).ToList();
        var interval = IntervalFor(concluded);
        var intervals = concluded
            .GroupBy(c => Floor(c.ConcludeTime.ToDateTimeOffset(), interval))
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var done = g.Where(c => c.State == CaseState.Completed).Select(LatencyMs).OfType<double>().Order().ToList();
                return new FlowInterval(g.Key, g.Count(), done.Count == 0 ? null : Percentile(done, 0.95));
            })
            .ToList();
        return new FlowKpis(
            cases.Count,
            completed.Count,
            cases.Where(c => c.State == CaseState.Exception).GroupBy(c => c.Reason).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            cases.Count(c => c.State == CaseState.Dismissed),
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.95),
            interval,
            intervals);
    }

    /// <summary>
    /// How long a completed case took from its occurrence to its posting, by flow; null for a flow without such
    /// times. The occurrence time is PHI (a date of service): it is used here for the aggregate and never shown.
    /// </summary>
    public static double? LatencyMs(Case completed) => completed.SubjectCase switch
    {
        Case.SubjectOneofCase.InventoryToCharge when completed.InventoryToCharge is { OccurTime: { } occurred, PostTime: { } posted } =>
            (posted.ToDateTimeOffset() - occurred.ToDateTimeOffset()).TotalMilliseconds,
        _ => null,
    };

    /// <summary>
    /// What a flow's SLO (observability/slo.yaml) measures of a concluded case, in milliseconds; null when the SLO does
    /// not count the case. Inventory-to-charge: consumption to posting, and a case on the exception queue or dismissed
    /// spends budget (infinite). Procure-to-pay: a completed case's first goods received to its last liability posted
    /// (from its step timings), as the flow's receipt-to-posting KPI.
    /// </summary>
    public static double? SliLatencyMs(Case concluded) => concluded.SubjectCase switch
    {
        Case.SubjectOneofCase.InventoryToCharge when concluded.State is CaseState.Exception or CaseState.Dismissed => double.PositiveInfinity,
        Case.SubjectOneofCase.InventoryToCharge when concluded.State == CaseState.Completed => LatencyMs(concluded),
        Case.SubjectOneofCase.ProcureToPay when concluded is { State: CaseState.Completed, ProcureToPay.Outcome: "completed" } => ReceiptToPostingMs(concluded),
        _ => null,
    };

    // The steps follow each other: each one's duration runs from the end of the one before.
    private static double? ReceiptToPostingMs(Case completed)
    {
        var (elapsed, received, posted) = (0.0, (double?)null, (double?)null);
        foreach (var step in completed.Steps)
        {
            elapsed += step.Duration.ToTimeSpan().TotalMilliseconds;
            (received, posted) = step.Step switch
            {
                "receive" => (received ?? elapsed, posted),
                "post" => (received, elapsed),
                _ => (received, posted),
            };
        }

        return posted is { } end ? end - (received ?? end) : null;
    }

    // The shortest of the usual intervals that shows the whole span in at most MaxIntervals bars.
    private static TimeSpan IntervalFor(List<Case> concluded)
    {
        if (concluded.Count == 0)
        {
            return ChartIntervals[0];
        }

        var times = concluded.Select(c => c.ConcludeTime.ToDateTimeOffset()).ToList();
        var span = times.Max() - times.Min();
        return ChartIntervals.FirstOrDefault(i => span.Ticks / i.Ticks < MaxIntervals, ChartIntervals[^1]);
    }

    private static DateTimeOffset Floor(DateTimeOffset at, TimeSpan interval) => new(at.UtcTicks - (at.UtcTicks % interval.Ticks), TimeSpan.Zero);

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
