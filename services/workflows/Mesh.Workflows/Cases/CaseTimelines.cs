using System.Text.RegularExpressions;
using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Workflows.V1;

namespace Mesh.Workflows.Cases;

/// <summary>
/// Turns a saga instance's workflow history into the timeline of its case: one entry per step attempt, linked into
/// retries by the retry timers Dapr's SDK sets between attempts (or by the same step scheduled right after it failed);
/// a timer or wait per durable timer, except the timers a retry waits on, which the retried attempt stands for; the
/// saga's start and end. A case that was replayed ran more than one saga instance: their timelines follow each other in
/// the order the case ran them, each entry marked with its run. Only names, times, outcomes and
/// failure reason codes are read: inputs, outputs and failure messages may hold patient data and are left behind.
/// </summary>
public static partial class CaseTimelines
{
    private const string TimelineSuffix = "/timeline";

    // The status code of an RpcException's message, Status(StatusCode="Unavailable", Detail="..."); the detail is not read.
    [GeneratedRegex(@"\AStatus\(StatusCode=""(?<code>[A-Za-z]+)""")]
    private static partial Regex RpcStatusCode();

    /// <summary>The timeline name of a case.</summary>
    public static string NameOf(string caseName) => caseName + TimelineSuffix;

    /// <summary>
    /// The case name in "flows/{flow}/cases/{case}/timeline"; INVALID_ARGUMENT naming <paramref name="field"/> when it is
    /// not a timeline name.
    /// </summary>
    public static string CaseNameOf(string name, string field) =>
        name.EndsWith(TimelineSuffix, StringComparison.Ordinal)
            ? name[..^TimelineSuffix.Length]
            : throw CaseErrors.Invalid(field, "is not a case timeline name; expected flows/{flow}/cases/{case}/timeline");

    /// <summary>
    /// The timeline of <paramref name="caseName"/> from the histories of its <paramref name="runs"/>, run after run; its
    /// status is that of the latest run. A run whose history the engine purged is PURGED, with no entries.
    /// </summary>
    /// <param name="caseName">The case, "flows/{flow}/cases/{case}".</param>
    /// <param name="runs">The saga instances that ran the case, in order, each with its history events (oldest first), or null when purged.</param>
    /// <param name="compensations">The flow's steps that undo earlier ones.</param>
    public static CaseTimeline Of(string caseName, IReadOnlyList<(string Instance, IReadOnlyList<HistoryEvent>? History)> runs, IReadOnlySet<string> compensations)
    {
        var timeline = new CaseTimeline { Name = NameOf(caseName), Status = SagaStatus.Purged };
        foreach (var (instance, history) in runs)
        {
            var run = new Builder(compensations);
            foreach (var e in history ?? [])
            {
                run.Add(e);
            }

            var status = history is null ? SagaStatus.Purged : run.Status;
            var number = timeline.Runs.Count + 1;
            timeline.Runs.Add(new TimelineRun { InstanceId = instance, Status = status, Replay = number > 1 });
            foreach (var entry in run.Entries)
            {
                entry.Run = number;
            }

            if (number > 1 && run.Entries.Count > 0)
            {
                run.Entries[0].Replay = true;
            }

            timeline.Entries.Add(run.Entries);
            timeline.Status = status;
        }

        return timeline;
    }

    /// <summary>A reason code for a failure: "grpc_{code}" for a gRPC status, else the exception type's short name.</summary>
    public static string ReasonOf(TaskFailureDetails? failure)
    {
        if (failure is null)
        {
            return "";
        }

        if (RpcStatusCode().Match(failure.ErrorMessage ?? "") is { Success: true } rpc)
        {
            return "grpc_" + SnakeCase(rpc.Groups["code"].Value);
        }

        var type = failure.ErrorType ?? "";
        return type[(type.LastIndexOf('.') + 1)..];
    }

    private static string SnakeCase(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private sealed class Builder(IReadOnlySet<string> compensations)
    {
        private readonly Dictionary<int, TimelineEntry> byEventId = [];
        private readonly Dictionary<string, TimelineEntry> lastAttempt = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> keyOfExecution = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Queue<string>> retriesDue = new(StringComparer.Ordinal);
        private TimelineEntry? saga;
        private TimelineEntry? lastStep;
        private string lastStepKey = "";

        public List<TimelineEntry> Entries { get; } = [];

        public SagaStatus Status { get; private set; } = SagaStatus.Pending;

        public void Add(HistoryEvent e)
        {
            var at = e.Timestamp;
            switch (e.EventTypeCase)
            {
                case HistoryEvent.EventTypeOneofCase.ExecutionStarted:
                    saga = Append(TimelineEntryKind.Saga, e.ExecutionStarted.Name, at);
                    Status = SagaStatus.Running;
                    break;
                case HistoryEvent.EventTypeOneofCase.TaskScheduled:
                    Scheduled(e.EventId, e.TaskScheduled, at);
                    break;
                case HistoryEvent.EventTypeOneofCase.TaskCompleted:
                    End(byEventId.GetValueOrDefault(e.TaskCompleted.TaskScheduledId), TimelineOutcome.Completed, at);
                    break;
                case HistoryEvent.EventTypeOneofCase.TaskFailed when byEventId.GetValueOrDefault(e.TaskFailed.TaskScheduledId) is { } failed:
                    End(failed, TimelineOutcome.Failed, at);
                    failed.FailureReason = ReasonOf(e.TaskFailed.FailureDetails);
                    break;
                case HistoryEvent.EventTypeOneofCase.TimerCreated:
                    TimerCreated(e.EventId, e.TimerCreated, at);
                    break;
                case HistoryEvent.EventTypeOneofCase.TimerFired when byEventId.GetValueOrDefault(e.TimerFired.TimerId) is { } timer:
                    End(timer, timer.Kind == TimelineEntryKind.Wait ? TimelineOutcome.TimedOut : TimelineOutcome.Completed, at);
                    break;
                case HistoryEvent.EventTypeOneofCase.EventRaised:
                    EventRaised(e.EventRaised.Name, at);
                    break;
                case HistoryEvent.EventTypeOneofCase.ExecutionSuspended:
                    Status = SagaStatus.Suspended;
                    break;
                case HistoryEvent.EventTypeOneofCase.ExecutionResumed:
                    Status = SagaStatus.Running;
                    break;
                case HistoryEvent.EventTypeOneofCase.ExecutionCompleted:
                    Finished(e.ExecutionCompleted, at);
                    break;
                case HistoryEvent.EventTypeOneofCase.ExecutionTerminated:
                    Status = SagaStatus.Terminated;
                    End(saga, TimelineOutcome.Terminated, at);
                    break;
            }
        }

        private void Scheduled(int eventId, TaskScheduledEvent task, Timestamp at)
        {
            // A retry is the step scheduled after the retry timer set for a failed attempt (the timer names the attempt's
            // task execution id), or an attempt under the same task execution id; from an engine that sends neither,
            // the same step scheduled right after it failed.
            var key = retriesDue.GetValueOrDefault(task.Name) is { Count: > 0 } due ? due.Dequeue()
                : task.TaskExecutionId is { Length: > 0 } id && keyOfExecution.TryGetValue(id, out var same) ? same
                : lastStep is { Outcome: TimelineOutcome.Failed } previous && previous.Step == task.Name ? lastStepKey
                : $"#{eventId}";
            if (task.TaskExecutionId is { Length: > 0 } execution)
            {
                keyOfExecution[execution] = key;
            }

            var attempt = 1;
            if (lastAttempt.GetValueOrDefault(key) is { } earlier)
            {
                attempt = earlier.Attempt + 1;
                if (earlier.Outcome == TimelineOutcome.Failed)
                {
                    earlier.Outcome = TimelineOutcome.Retried;
                }
            }

            var entry = Append(TimelineEntryKind.Step, task.Name, at);
            entry.Attempt = attempt;
            entry.Compensation = compensations.Contains(task.Name);
            byEventId[eventId] = entry;
            lastAttempt[key] = entry;
            (lastStep, lastStepKey) = (entry, key);
        }

        private void TimerCreated(int eventId, TimerCreatedEvent timer, Timestamp at)
        {
            switch (timer.OriginCase)
            {
                // The retried attempt stands for the wait before it.
                case TimerCreatedEvent.OriginOneofCase.ActivityRetry:
                    if (keyOfExecution.TryGetValue(timer.ActivityRetry.TaskExecutionId, out var key) && lastAttempt.GetValueOrDefault(key) is { } failed)
                    {
                        (retriesDue.TryGetValue(failed.Step, out var due) ? due : retriesDue[failed.Step] = new Queue<string>()).Enqueue(key);
                    }

                    return;
                case TimerCreatedEvent.OriginOneofCase.ChildWorkflowRetry:
                    return;
                case TimerCreatedEvent.OriginOneofCase.ExternalEvent:
                    byEventId[eventId] = Append(TimelineEntryKind.Wait, timer.ExternalEvent.Name, at);
                    return;
                default:
                    byEventId[eventId] = Append(TimelineEntryKind.Timer, "timer", at);
                    return;
            }
        }

        private void EventRaised(string name, Timestamp at)
        {
            // The oldest wait for the event takes it; an event no timed wait was set for still shows that it came.
            var wait = Entries.FirstOrDefault(w => w.Kind == TimelineEntryKind.Wait && w.Outcome == TimelineOutcome.Started && w.Step == name)
                ?? Append(TimelineEntryKind.Wait, name, at);
            End(wait, TimelineOutcome.Completed, at);
        }

        private void Finished(ExecutionCompletedEvent completed, Timestamp at)
        {
            (Status, var outcome) = completed.WorkflowStatus switch
            {
                OrchestrationStatus.Completed => (SagaStatus.Completed, TimelineOutcome.Completed),
                OrchestrationStatus.Terminated => (SagaStatus.Terminated, TimelineOutcome.Terminated),
                _ => (SagaStatus.Failed, TimelineOutcome.Failed),
            };
            End(saga, outcome, at);
            if (saga is not null && outcome == TimelineOutcome.Failed)
            {
                saga.FailureReason = ReasonOf(completed.FailureDetails);
            }
        }

        private TimelineEntry Append(TimelineEntryKind kind, string step, Timestamp at)
        {
            var entry = new TimelineEntry { Kind = kind, Step = step, StartTime = at, Outcome = TimelineOutcome.Started };
            Entries.Add(entry);
            return entry;
        }

        private static void End(TimelineEntry? entry, TimelineOutcome outcome, Timestamp at)
        {
            if (entry is not null)
            {
                entry.Outcome = outcome;
                entry.EndTime = at;
            }
        }
    }
}
