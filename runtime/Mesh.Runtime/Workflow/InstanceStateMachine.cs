using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Runtime.Workflow;

/// <summary>
/// The state machine of one instance, on Dapr's protocol types: what a turn is given (history, then WorkflowStarted
/// and the inbox), and what a finished turn does to the instance (consumed events into the history, status changes,
/// the actions applied). It touches only the instance it is given: what a turn asks of other instances, of workers and
/// of the clock comes back as <see cref="TurnEffects"/> for the engine to carry out. Timestamps come from its clock.
/// </summary>
internal sealed class InstanceStateMachine(TimeProvider time)
{
    /// <summary>The largest workflow input, event payload or activity result accepted (Dapr's default body limit).</summary>
    public const int MaxPayloadBytes = 4 * 1024 * 1024;

    /// <summary>The current time as a protobuf timestamp.</summary>
    public Timestamp Now() => Timestamp.FromDateTimeOffset(time.GetUtcNow());

    /// <summary>A new instance, Pending, with its ExecutionStarted waiting in the inbox.</summary>
    public WorkflowInstance Create(string id, string name, string? input, string? version, ParentInstanceInfo? parent = null)
    {
        var instance = new WorkflowInstance(id, name, Now()) { Input = input, Parent = parent };
        instance.Inbox.Add(Started(instance, version, input));
        return instance;
    }

    /// <summary>A new instance a client asked for, with its scheduled start and trace context.</summary>
    public WorkflowInstance Create(CreateInstanceRequest request, string id)
    {
        var instance = Create(id, request.Name, request.Input, request.Version);
        instance.ScheduledStart = request.ScheduledStartTimestamp;
        instance.Inbox[0].ExecutionStarted.ScheduledStartTimestamp = request.ScheduledStartTimestamp;
        instance.Inbox[0].ExecutionStarted.ParentTraceContext = request.ParentTraceContext;
        return instance;
    }

    /// <summary>Stamps an event: the -1 id of events that answer nothing, and the time.</summary>
    public HistoryEvent Stamp(HistoryEvent e)
    {
        if (e.EventId == 0 && e.EventTypeCase is not (HistoryEvent.EventTypeOneofCase.TaskScheduled or HistoryEvent.EventTypeOneofCase.TimerCreated or HistoryEvent.EventTypeOneofCase.ChildWorkflowInstanceCreated))
        {
            e.EventId = -1;
        }

        e.Timestamp ??= Now();
        return e;
    }

    /// <summary>Adds an event to the inbox for the next turn.</summary>
    public void Deliver(WorkflowInstance instance, HistoryEvent e) => instance.Inbox.Add(Stamp(e));

    /// <summary>The instance's next turn, or null when it has none to take now (one out already, nothing new, finished, suspended).</summary>
    public (WorkflowRequest Request, InFlight Flight)? NextTurn(WorkflowInstance instance)
    {
        if (instance.InTurn || instance.Inbox.Count == 0 || instance.IsTerminal)
        {
            return null;
        }

        // A suspended instance takes a turn only to be resumed or terminated.
        if (instance.Status == OrchestrationStatus.Suspended && !instance.Inbox.Any(e =>
            e.EventTypeCase is HistoryEvent.EventTypeOneofCase.ExecutionResumed or HistoryEvent.EventTypeOneofCase.ExecutionTerminated))
        {
            return null;
        }

        var turnStarted = Stamp(new HistoryEvent { WorkflowStarted = new WorkflowStartedEvent() });
        var request = new WorkflowRequest { InstanceId = instance.Id, ExecutionId = instance.ExecutionId };
        request.PastEvents.AddRange(instance.History);
        request.NewEvents.Add(turnStarted);
        request.NewEvents.AddRange(instance.Inbox);
        instance.InTurn = true;
        return (request, new InFlight(instance.Id, instance.ExecutionId, instance.Inbox.Count, turnStarted, null));
    }

    /// <summary>Applies a finished turn: the events it consumed go to the history, then its actions are applied.</summary>
    public TurnEffects CompleteTurn(WorkflowInstance instance, InFlight turn, WorkflowResponse response)
    {
        var effects = new TurnEffects();
        instance.InTurn = false;
        var consumed = instance.Inbox.Take(turn.Consumed).ToList();
        instance.Inbox.RemoveRange(0, turn.Consumed);
        instance.History.Add(turn.TurnStarted!);
        instance.History.AddRange(consumed);
        consumed.ForEach(e => Observe(instance, e));
        if (response.CustomStatus is not null)
        {
            instance.CustomStatus = response.CustomStatus;
        }

        foreach (var action in response.Actions)
        {
            Apply(instance, action, effects);
        }

        Touch(instance);
        return effects;
    }

    /// <summary>The event an activity's answer puts in its instance's inbox; an oversized result fails the activity.</summary>
    public HistoryEvent ActivityResult(ActivityRequest activity, ActivityResponse response)
    {
        var tooLarge = response.Result is { } result && System.Text.Encoding.UTF8.GetByteCount(result) > MaxPayloadBytes;
        return Stamp(response.FailureDetails is null && !tooLarge
            ? new HistoryEvent { TaskCompleted = new TaskCompletedEvent { TaskScheduledId = response.TaskId, Result = response.Result, TaskExecutionId = activity.TaskExecutionId } }
            : new HistoryEvent
            {
                TaskFailed = new TaskFailedEvent
                {
                    TaskScheduledId = response.TaskId,
                    TaskExecutionId = activity.TaskExecutionId,
                    FailureDetails = response.FailureDetails ?? new TaskFailureDetails
                    {
                        ErrorType = "PayloadTooLarge",
                        ErrorMessage = $"the result of activity '{activity.Name}' is larger than {MaxPayloadBytes} bytes",
                        IsNonRetriable = true,
                    },
                },
            });
    }

    /// <summary>What the parent of <paramref name="child"/> gets when an unfinished instance already has the child's id.</summary>
    public HistoryEvent ChildAlreadyExists(WorkflowInstance child) => Stamp(new HistoryEvent
    {
        ChildWorkflowInstanceFailed = new ChildWorkflowInstanceFailedEvent
        {
            TaskScheduledId = child.Parent!.TaskScheduledId,
            FailureDetails = new TaskFailureDetails { ErrorType = "AlreadyExists", ErrorMessage = $"workflow instance '{child.Id}' already exists", IsNonRetriable = true },
        },
    });

    /// <summary>An instance back from the store, with its parent and children read from its events.</summary>
    public static WorkflowInstance Restore(WorkflowInstanceRecord record)
    {
        var state = record.State;
        var instance = new WorkflowInstance(state.InstanceId, state.Name, state.CreatedTimestamp)
        {
            ExecutionId = state.ExecutionId ?? Guid.NewGuid().ToString("N"),
            Status = state.WorkflowStatus,
            Input = state.Input,
            Output = state.Output,
            CustomStatus = state.CustomStatus,
            Failure = state.FailureDetails,
            LastUpdated = state.LastUpdatedTimestamp ?? state.CreatedTimestamp,
            StartedAt = state.StartedAt,
            Completed = state.CompletedTimestamp,
            ScheduledStart = state.ScheduledStartTimestamp,
            Stored = true,
        };
        instance.History.AddRange(record.History);
        instance.Inbox.AddRange(record.Inbox);
        var all = instance.History.Concat(instance.Inbox).ToList();
        instance.Parent = all.FirstOrDefault(e => e.ExecutionStarted is not null)?.ExecutionStarted.ParentInstance;
        instance.Children.AddRange(ChildrenOf(all));
        return instance;
    }

    /// <summary>The ids of the children an instance's events started.</summary>
    public static IEnumerable<string> ChildrenOf(IEnumerable<HistoryEvent> events) =>
        events.Where(e => e.ChildWorkflowInstanceCreated is not null).Select(e => e.ChildWorkflowInstanceCreated.InstanceId);

    /// <summary>What an unfinished instance was waiting for when it was stored: activities without a result, timers not fired.</summary>
    public static TurnEffects Pending(WorkflowInstance instance)
    {
        var effects = new TurnEffects();
        var all = instance.History.Concat(instance.Inbox).ToList();
        var finishedTasks = all.Select(e => e.TaskCompleted?.TaskScheduledId ?? e.TaskFailed?.TaskScheduledId).OfType<int>().ToHashSet();
        foreach (var scheduled in instance.History.Where(e => e.TaskScheduled is not null && !finishedTasks.Contains(e.EventId)))
        {
            effects.Activities.Add(Activity(instance, scheduled.EventId, scheduled.TaskScheduled.Name, scheduled.TaskScheduled.Version, scheduled.TaskScheduled.Input, scheduled.TaskScheduled.TaskExecutionId));
        }

        var firedTimers = all.Where(e => e.TimerFired is not null).Select(e => e.TimerFired.TimerId).ToHashSet();
        foreach (var timer in instance.History.Where(e => e.TimerCreated is not null && !firedTimers.Contains(e.EventId)))
        {
            effects.Timers.Add((timer.EventId, timer.TimerCreated.FireAt));
        }

        return effects;
    }

    private void Apply(WorkflowInstance instance, WorkflowAction action, TurnEffects effects)
    {
        switch (action.WorkflowActionTypeCase)
        {
            case WorkflowAction.WorkflowActionTypeOneofCase.ScheduleTask:
                var task = action.ScheduleTask;
                instance.History.Add(Stamp(new HistoryEvent
                {
                    EventId = action.Id,
                    TaskScheduled = new TaskScheduledEvent { Name = task.Name, Version = task.Version, Input = task.Input, TaskExecutionId = task.TaskExecutionId },
                }));
                effects.Activities.Add(Activity(instance, action.Id, task.Name, task.Version, task.Input, task.TaskExecutionId));
                break;
            case WorkflowAction.WorkflowActionTypeOneofCase.CreateTimer:
                var timer = action.CreateTimer;
                var created = new TimerCreatedEvent { FireAt = timer.FireAt, Name = timer.Name };
                switch (timer.OriginCase)
                {
                    case CreateTimerAction.OriginOneofCase.CreateTimer: created.CreateTimer = timer.CreateTimer; break;
                    case CreateTimerAction.OriginOneofCase.ExternalEvent: created.ExternalEvent = timer.ExternalEvent; break;
                    case CreateTimerAction.OriginOneofCase.ActivityRetry: created.ActivityRetry = timer.ActivityRetry; break;
                    case CreateTimerAction.OriginOneofCase.ChildWorkflowRetry: created.ChildWorkflowRetry = timer.ChildWorkflowRetry; break;
                }

                instance.History.Add(Stamp(new HistoryEvent { EventId = action.Id, TimerCreated = created }));
                effects.Timers.Add((action.Id, timer.FireAt));
                break;
            case WorkflowAction.WorkflowActionTypeOneofCase.CreateChildWorkflow:
                var create = action.CreateChildWorkflow;
                var id = string.IsNullOrEmpty(create.InstanceId) ? $"{instance.Id}:{action.Id:D4}" : create.InstanceId;
                instance.History.Add(Stamp(new HistoryEvent
                {
                    EventId = action.Id,
                    ChildWorkflowInstanceCreated = new ChildWorkflowInstanceCreatedEvent { InstanceId = id, Name = create.Name, Version = create.Version, Input = create.Input },
                }));
                effects.Children.Add(Create(id, create.Name, create.Input, create.Version, new ParentInstanceInfo
                {
                    TaskScheduledId = action.Id,
                    Name = instance.Name,
                    WorkflowInstance = new Dapr.DurableTask.Protobuf.WorkflowInstance { InstanceId = instance.Id, ExecutionId = instance.ExecutionId },
                }));
                break;
            case WorkflowAction.WorkflowActionTypeOneofCase.SendEvent:
                var send = action.SendEvent;
                effects.Messages.Add((send.Instance?.InstanceId ?? "", Stamp(new HistoryEvent { EventRaised = new EventRaisedEvent { Name = send.Name, Input = send.Data } })));
                instance.History.Add(Stamp(new HistoryEvent { EventId = action.Id, EventSent = new EventSentEvent { InstanceId = send.Instance?.InstanceId ?? "", Name = send.Name, Input = send.Data } }));
                break;
            case WorkflowAction.WorkflowActionTypeOneofCase.TerminateWorkflow:
                effects.Terminations.Add(action.TerminateWorkflow);
                break;
            case WorkflowAction.WorkflowActionTypeOneofCase.CompleteWorkflow:
                Complete(instance, action.CompleteWorkflow, effects);
                break;
            default:
                Complete(instance, new CompleteWorkflowAction
                {
                    WorkflowStatus = OrchestrationStatus.Failed,
                    FailureDetails = new TaskFailureDetails
                    {
                        ErrorType = "NotSupportedByMesh",
                        ErrorMessage = $"workflow action {action.WorkflowActionTypeCase} is not supported by the Mesh embedded runtime",
                        IsNonRetriable = true,
                    },
                }, effects);
                break;
        }
    }

    private void Complete(WorkflowInstance instance, CompleteWorkflowAction complete, TurnEffects effects)
    {
        if (complete.WorkflowStatus == OrchestrationStatus.ContinuedAsNew)
        {
            // A new execution with the result as its input; unconsumed events carry over.
            var pending = instance.Inbox.ToList();
            instance.History.Clear();
            instance.Inbox.Clear();
            instance.ExecutionId = Guid.NewGuid().ToString("N");
            instance.Input = complete.Result;
            instance.Inbox.Add(Started(instance, complete.NewVersion, complete.Result));
            instance.Inbox.AddRange(complete.CarryoverEvents);
            instance.Inbox.AddRange(pending.Where(e => e.EventTypeCase is not (HistoryEvent.EventTypeOneofCase.TimerFired or HistoryEvent.EventTypeOneofCase.TaskCompleted or HistoryEvent.EventTypeOneofCase.TaskFailed)));
            SetStatus(instance, OrchestrationStatus.Running);
            return;
        }

        var result = complete.Result is { } r && System.Text.Encoding.UTF8.GetByteCount(r) > MaxPayloadBytes ? null : complete.Result;
        var failure = complete.FailureDetails ?? (result is null && complete.Result is not null
            ? new TaskFailureDetails { ErrorType = "PayloadTooLarge", ErrorMessage = $"the workflow result is larger than {MaxPayloadBytes} bytes", IsNonRetriable = true }
            : null);
        var status = failure is not null && complete.WorkflowStatus == OrchestrationStatus.Completed ? OrchestrationStatus.Failed : complete.WorkflowStatus;
        instance.History.Add(Stamp(new HistoryEvent { ExecutionCompleted = new ExecutionCompletedEvent { WorkflowStatus = status, Result = result, FailureDetails = failure } }));
        instance.Output = result;
        instance.Failure = failure;
        instance.Completed = Now();
        instance.Inbox.Clear();
        SetStatus(instance, status);

        if (instance.Parent is { } parent)
        {
            effects.Messages.Add((parent.WorkflowInstance.InstanceId, Stamp(status == OrchestrationStatus.Completed
                ? new HistoryEvent { ChildWorkflowInstanceCompleted = new ChildWorkflowInstanceCompletedEvent { TaskScheduledId = parent.TaskScheduledId, Result = result } }
                : new HistoryEvent
                {
                    ChildWorkflowInstanceFailed = new ChildWorkflowInstanceFailedEvent
                    {
                        TaskScheduledId = parent.TaskScheduledId,
                        FailureDetails = failure ?? new TaskFailureDetails { ErrorType = status.ToString(), ErrorMessage = $"child workflow '{instance.Id}' ended {status}" },
                    },
                })));
        }
    }

    // Status changes a consumed event implies.
    private void Observe(WorkflowInstance instance, HistoryEvent e)
    {
        switch (e.EventTypeCase)
        {
            case HistoryEvent.EventTypeOneofCase.ExecutionStarted:
                instance.StartedAt ??= Now();
                SetStatus(instance, OrchestrationStatus.Running);
                break;
            case HistoryEvent.EventTypeOneofCase.ExecutionSuspended:
                SetStatus(instance, OrchestrationStatus.Suspended);
                break;
            case HistoryEvent.EventTypeOneofCase.ExecutionResumed when instance.Status == OrchestrationStatus.Suspended:
                SetStatus(instance, OrchestrationStatus.Running);
                break;
        }
    }

    private void SetStatus(WorkflowInstance instance, OrchestrationStatus status)
    {
        instance.Status = status;
        Touch(instance);
        var changed = instance.Changed;
        instance.Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private void Touch(WorkflowInstance instance) => instance.LastUpdated = Now();

    // The first event of an execution.
    private HistoryEvent Started(WorkflowInstance instance, string? version, string? input) => Stamp(new HistoryEvent
    {
        ExecutionStarted = new ExecutionStartedEvent
        {
            Name = instance.Name,
            Version = version,
            Input = input,
            ParentInstance = instance.Parent,
            WorkflowInstance = new Dapr.DurableTask.Protobuf.WorkflowInstance { InstanceId = instance.Id, ExecutionId = instance.ExecutionId },
        },
    });

    // An activity runs in the trace of whoever started its instance (the SDK restores it as Activity.Current), so the
    // calls it makes join that trace, as they do under daprd.
    private static ActivityRequest Activity(WorkflowInstance instance, int taskId, string name, string? version, string? input, string? taskExecutionId) => new()
    {
        Name = name,
        Version = version,
        Input = input,
        TaskId = taskId,
        TaskExecutionId = taskExecutionId,
        WorkflowInstance = new Dapr.DurableTask.Protobuf.WorkflowInstance { InstanceId = instance.Id, ExecutionId = instance.ExecutionId },
        ParentTraceContext = instance.History.FirstOrDefault(e => e.ExecutionStarted is not null)?.ExecutionStarted.ParentTraceContext,
    };
}

/// <summary>What a turn asks of the world beyond its own instance, for the engine to carry out.</summary>
internal sealed class TurnEffects
{
    /// <summary>Activities to hand to the workers.</summary>
    public List<ActivityRequest> Activities { get; } = [];

    /// <summary>Durable timers to schedule (the no-timeout sentinel among them is never scheduled).</summary>
    public List<(int TimerId, Timestamp FireAt)> Timers { get; } = [];

    /// <summary>Child instances to start (unless an unfinished instance has the id already).</summary>
    public List<WorkflowInstance> Children { get; } = [];

    /// <summary>Events for other instances' inboxes: sent events, a child's completion for its parent.</summary>
    public List<(string InstanceId, HistoryEvent Event)> Messages { get; } = [];

    /// <summary>Instances to terminate.</summary>
    public List<TerminateWorkflowAction> Terminations { get; } = [];
}
