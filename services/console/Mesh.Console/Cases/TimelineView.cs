using Mesh.Contracts.Workflows.V1;

namespace Mesh.Console.Cases;

/// <summary>
/// How the case page words a case's timeline (CaseService.GetCaseTimeline): its runs (the first, then each replay),
/// each entry's kind and outcome without their enum prefixes, and the row class that marks retried attempts, failures
/// and compensations.
/// </summary>
public static class TimelineView
{
    /// <summary>
    /// The timeline's runs in order, each with its entries and their place on the whole timeline (from 1); one run
    /// holding every entry when the timeline lists no runs.
    /// </summary>
    public static IReadOnlyList<RunView> Runs(CaseTimeline timeline)
    {
        IReadOnlyList<TimelineRun> runs = timeline.Runs.Count > 0 ? timeline.Runs : [new TimelineRun { Status = timeline.Status }];
        var placed = timeline.Entries.Select((entry, i) => (Place: i + 1, Entry: entry)).ToList();
        return [.. runs.Select((run, i) => new RunView(i + 1, run, [.. placed.Where(p => Math.Max(p.Entry.Run, 1) == i + 1)]))];
    }

    /// <summary>A saga status without its enum prefix, e.g. "COMPLETED".</summary>
    public static string Format(SagaStatus status) => status.ToString().ToUpperInvariant();

    /// <summary>An entry's kind in lower case, e.g. "step".</summary>
    public static string Format(TimelineEntryKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>An outcome in lower case words, e.g. "timed out".</summary>
    public static string Format(TimelineOutcome outcome) => outcome switch
    {
        TimelineOutcome.TimedOut => "timed out",
        _ => outcome.ToString().ToLowerInvariant(),
    };

    /// <summary>The classes of an entry's row: retried, failed, compensation.</summary>
    public static string RowClass(TimelineEntry entry) => string.Join(' ', new[]
    {
        entry.Outcome == TimelineOutcome.Retried ? "retried" : null,
        entry.Outcome is TimelineOutcome.Failed or TimelineOutcome.TimedOut or TimelineOutcome.Terminated ? "failed" : null,
        entry.Compensation ? "compensation" : null,
    }.OfType<string>());
}

/// <summary>One run of a case's saga on its timeline.</summary>
/// <param name="Number">The run, from 1: 1 is the first run, 2 and on are replays.</param>
/// <param name="Run">The run as the timeline lists it: its saga instance and status.</param>
/// <param name="Entries">The run's entries with their place on the whole timeline, from 1.</param>
public sealed record RunView(int Number, TimelineRun Run, IReadOnlyList<(int Place, TimelineEntry Entry)> Entries)
{
    /// <summary>"first run", or "replay {n}" for the n-th replay.</summary>
    public string Label => Number == 1 ? "first run" : $"replay {Number - 1}";
}
