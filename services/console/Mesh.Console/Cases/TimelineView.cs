using Mesh.Contracts.Workflows.V1;

namespace Mesh.Console.Cases;

/// <summary>
/// How the case page words a case's timeline (CaseService.GetCaseTimeline): each entry's kind and outcome without
/// their enum prefixes, and the row class that marks retried attempts, failures and compensations.
/// </summary>
public static class TimelineView
{
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
