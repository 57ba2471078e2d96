namespace Mesh.Console.Flows;

/// <summary>A flow's service level objectives, section "Console:Slo": what share must complete, and how fast.</summary>
public sealed class SloTargets
{
    /// <summary>The share of concluded cases that must complete (the rest wait on the exception queue or were dismissed).</summary>
    public double CompletedShare { get; set; } = 0.95;

    /// <summary>The p95 occurrence-to-posting latency the completed cases must stay under.</summary>
    public TimeSpan LatencyP95 { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Whether <paramref name="kpis"/> meet the completed-share objective; true while nothing concluded.</summary>
    public bool CompletionMet(FlowKpis kpis) => kpis.Concluded == 0 || kpis.Completed >= CompletedShare * kpis.Concluded;

    /// <summary>Whether <paramref name="kpis"/> meet the latency objective.</summary>
    public bool LatencyMet(FlowKpis kpis) => kpis.LatencyP95Ms <= LatencyP95.TotalMilliseconds;
}
