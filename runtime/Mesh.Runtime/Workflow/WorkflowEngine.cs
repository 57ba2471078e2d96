using System.Threading.Channels;
using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Mesh.Runtime.Workflow;

/// <summary>
/// The workflow engine behind one sidecar's <c>TaskHubSidecarService</c>, on Dapr's own protocol types:
/// instances with their histories, the inbox of events for each instance's next turn, one shared queue of
/// work items for the app's worker streams, activities, durable timers and the waiters of the client RPCs.
/// Each instance has at most one turn out at a time; turns of different instances and activities run in
/// parallel, as many as the workers take. This engine keeps its state in memory: it is the semantics the
/// durable (Redis) backend must keep too, and the backend for <c>state.in-memory</c>.
/// </summary>
public sealed class WorkflowEngine : IAsyncDisposable
{
    /// <summary>The largest workflow input, event payload or activity result accepted (Dapr's default body limit).</summary>
    public const int MaxPayloadBytes = 4 * 1024 * 1024;

    // The SDK's "wait with no timeout" timer fires at 9999-12-31T23:59:59.999999999Z: never schedule it.
    private const long IndefiniteFireAtSeconds = 253402300799;

    private readonly object gate = new();
    private readonly Dictionary<string, WorkflowInstance> instances = new(StringComparer.Ordinal);
    private readonly Dictionary<string, InFlight> inFlight = new(StringComparer.Ordinal);
    private readonly Channel<WorkItem> outbox = Channel.CreateUnbounded<WorkItem>();
    private readonly CancellationTokenSource stopping = new();
    private readonly ILogger logger;
    private readonly IWorkflowStore store;
    private readonly HashSet<WorkflowInstance> changed = [];
    private readonly HashSet<string> removed = new(StringComparer.Ordinal);
    private readonly Channel<Batch> writes = Channel.CreateUnbounded<Batch>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task writer;

    /// <summary>Creates an engine and resumes every unfinished instance the store holds.</summary>
    public WorkflowEngine(IWorkflowStore store, ILogger<WorkflowEngine> logger)
    {
        this.store = store;
        this.logger = logger;
        Restore();
        writer = Task.Run(WriteAsync);
    }

    /// <summary>Schedules a new instance; its id is the caller's or a new GUID.</summary>
    public async Task<string> StartAsync(CreateInstanceRequest request)
    {
        if (string.IsNullOrEmpty(request.Name))
        {
            throw Invalid("name is required: the workflow to run");
        }

        CheckPayload(request.Input, "input");
        var id = string.IsNullOrEmpty(request.InstanceId) ? Guid.NewGuid().ToString() : request.InstanceId;
        Task stored;
        lock (gate)
        {
            if (instances.TryGetValue(id, out var existing) && !existing.IsTerminal)
            {
                throw new RpcException(new Status(StatusCode.AlreadyExists, $"workflow instance '{id}' already exists and is {existing.Status}"));
            }

            var instance = new WorkflowInstance(id, request.Name) { Input = request.Input, ScheduledStart = request.ScheduledStartTimestamp };
            var started = Started(instance, request.Version, request.Input);
            started.ExecutionStarted.ScheduledStartTimestamp = request.ScheduledStartTimestamp;
            started.ExecutionStarted.ParentTraceContext = request.ParentTraceContext;
            instance.Inbox.Add(started);
            instances[id] = instance;
            Changed(instance);
            Dispatch(instance);
            stored = Commit();
        }

        await stored;
        return id;
    }

    /// <summary>The instance's state, or null when there is no such instance.</summary>
    public WorkflowState? Get(string instanceId, bool withPayloads)
    {
        lock (gate)
        {
            return instances.TryGetValue(instanceId, out var instance) ? instance.State(withPayloads) : null;
        }
    }

    /// <summary>Waits until the instance satisfies <paramref name="done"/>; null when it does not exist.</summary>
    public async Task<WorkflowState?> WaitAsync(string instanceId, Func<OrchestrationStatus, bool> done, bool withPayloads, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (gate)
            {
                if (!instances.TryGetValue(instanceId, out var instance))
                {
                    return null;
                }

                if (done(instance.Status))
                {
                    return instance.State(withPayloads);
                }

                changed = instance.Changed.Task;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Delivers an external event to the instance.</summary>
    public Task RaiseAsync(string instanceId, string name, string? input)
    {
        CheckPayload(input, "input");
        return AddEventAsync(instanceId, new HistoryEvent { EventRaised = new EventRaisedEvent { Name = name, Input = input } }, "raise an event to");
    }

    /// <summary>Terminates the instance and, when recursive, its children.</summary>
    public Task TerminateAsync(string instanceId, string? output, bool recursive)
    {
        lock (gate)
        {
            TerminateCore(Find(instanceId), output, recursive);
            return Commit();
        }
    }

    /// <summary>Suspends the instance: it takes no turns but for resume and terminate.</summary>
    public Task SuspendAsync(string instanceId, string? reason) =>
        AddEventAsync(instanceId, new HistoryEvent { ExecutionSuspended = new ExecutionSuspendedEvent { Input = reason } }, "suspend");

    /// <summary>Resumes a suspended instance.</summary>
    public Task ResumeAsync(string instanceId, string? reason) =>
        AddEventAsync(instanceId, new HistoryEvent { ExecutionResumed = new ExecutionResumedEvent { Input = reason } }, "resume");

    /// <summary>Removes a finished instance (and its children when recursive); the number removed.</summary>
    public async Task<int> PurgeAsync(string instanceId, bool recursive)
    {
        int count;
        Task stored;
        lock (gate)
        {
            if (!instances.TryGetValue(instanceId, out var instance))
            {
                return 0;
            }

            if (!instance.IsTerminal)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, $"workflow instance '{instanceId}' is {instance.Status}; only finished instances can be purged"));
            }

            count = PurgeCore(instance, recursive);
            stored = Commit();
        }

        await stored;
        return count;
    }

    /// <summary>A page of instance ids in creation order, and the token of the next page.</summary>
    public (IReadOnlyList<string> Ids, string Next) List(string continuationToken, int pageSize)
    {
        var after = continuationToken.Length == 0 ? 0 : int.TryParse(continuationToken, out var n) && n >= 0 ? n : throw Invalid($"continuationToken '{continuationToken}' was not issued by this runtime");
        var size = pageSize <= 0 ? 100 : Math.Min(pageSize, 1000);
        lock (gate)
        {
            var ids = instances.Values.OrderBy(i => i.Created.ToDateTime()).Select(i => i.Id).Skip(after).Take(size + 1).ToList();
            return (ids.Take(size).ToList(), ids.Count > size ? (after + size).ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
        }
    }

    /// <summary>The instance's history.</summary>
    public IReadOnlyList<HistoryEvent> History(string instanceId)
    {
        lock (gate)
        {
            return [.. Find(instanceId).History];
        }
    }

    /// <summary>Feeds work items to one worker stream until it ends; its unfinished items go back to the queue.</summary>
    public async Task StreamAsync(IServerStreamWriter<WorkItem> writer, CancellationToken cancellationToken)
    {
        var stream = Guid.NewGuid();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping.Token);
        try
        {
            await foreach (var item in outbox.Reader.ReadAllAsync(linked.Token))
            {
                lock (gate)
                {
                    if (!inFlight.TryGetValue(item.CompletionToken, out var flight))
                    {
                        continue;
                    }

                    inFlight[item.CompletionToken] = flight with { Stream = stream };
                }

                await writer.WriteAsync(item, linked.Token);
            }
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            // The worker went away or the sidecar stops.
        }
        finally
        {
            Abandon(stream);
        }
    }

    /// <summary>Applies a finished turn: history, activities, timers, children, completion.</summary>
    public Task CompleteTurnAsync(WorkflowResponse response)
    {
        lock (gate)
        {
            if (!inFlight.Remove(response.CompletionToken, out var flight) || flight.Activity is not null
                || !instances.TryGetValue(flight.InstanceId, out var instance) || instance.ExecutionId != flight.ExecutionId)
            {
                // Stale or duplicate: the SDK would drop its stream for 5 s on an error, so answer OK.
                logger.LogInformation("Ignored a stale workflow completion for {Instance}", response.InstanceId);
                return Task.CompletedTask;
            }

            instance.InTurn = false;
            var consumed = instance.Inbox.Take(flight.Consumed).ToList();
            instance.Inbox.RemoveRange(0, flight.Consumed);
            instance.History.Add(flight.TurnStarted!);
            instance.History.AddRange(consumed);
            foreach (var e in consumed)
            {
                Observe(instance, e);
            }

            if (response.CustomStatus is not null)
            {
                instance.CustomStatus = response.CustomStatus;
            }

            foreach (var action in response.Actions)
            {
                Apply(instance, action);
            }

            Touch(instance);
            Changed(instance);
            Dispatch(instance);
            return Commit();
        }
    }

    /// <summary>Records an activity's result as an event for its instance's next turn.</summary>
    public Task CompleteActivityAsync(ActivityResponse response)
    {
        lock (gate)
        {
            if (!inFlight.Remove(response.CompletionToken, out var flight) || flight.Activity is null
                || !instances.TryGetValue(flight.InstanceId, out var instance) || instance.ExecutionId != flight.ExecutionId || instance.IsTerminal)
            {
                logger.LogInformation("Ignored a stale activity completion for {Instance}", response.InstanceId);
                return Task.CompletedTask;
            }

            var tooLarge = response.Result is { } result && System.Text.Encoding.UTF8.GetByteCount(result) > MaxPayloadBytes;
            instance.Inbox.Add(Event(response.FailureDetails is null && !tooLarge
                ? new HistoryEvent { TaskCompleted = new TaskCompletedEvent { TaskScheduledId = response.TaskId, Result = response.Result, TaskExecutionId = flight.Activity.TaskExecutionId } }
                : new HistoryEvent
                {
                    TaskFailed = new TaskFailedEvent
                    {
                        TaskScheduledId = response.TaskId,
                        TaskExecutionId = flight.Activity.TaskExecutionId,
                        FailureDetails = response.FailureDetails ?? new TaskFailureDetails
                        {
                            ErrorType = "PayloadTooLarge",
                            ErrorMessage = $"the result of activity '{flight.Activity.Name}' is larger than {MaxPayloadBytes} bytes",
                            IsNonRetriable = true,
                        },
                    },
                }));
            Changed(instance);
            Dispatch(instance);
            return Commit();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        stopping.Cancel();
        outbox.Writer.TryComplete();
        writes.Writer.TryComplete();
        await writer;
        stopping.Dispose();
    }

    private void Apply(WorkflowInstance instance, WorkflowAction action)
    {
        switch (action.WorkflowActionTypeCase)
        {
            case WorkflowAction.WorkflowActionTypeOneofCase.ScheduleTask:
                var task = action.ScheduleTask;
                instance.History.Add(Event(new HistoryEvent
                {
                    EventId = action.Id,
                    TaskScheduled = new TaskScheduledEvent { Name = task.Name, Version = task.Version, Input = task.Input, TaskExecutionId = task.TaskExecutionId },
                }));
                Enqueue(instance, new ActivityRequest
                {
                    Name = task.Name,
                    Version = task.Version,
                    Input = task.Input,
                    TaskId = action.Id,
                    TaskExecutionId = task.TaskExecutionId,
                    WorkflowInstance = new Dapr.DurableTask.Protobuf.WorkflowInstance { InstanceId = instance.Id, ExecutionId = instance.ExecutionId },
                });
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

                instance.History.Add(Event(new HistoryEvent { EventId = action.Id, TimerCreated = created }));
                Schedule(instance, action.Id, timer.FireAt);
                break;
            case WorkflowAction.WorkflowActionTypeOneofCase.CreateChildWorkflow:
                StartChild(instance, action);
                break;
            case WorkflowAction.WorkflowActionTypeOneofCase.SendEvent:
                var send = action.SendEvent;
                if (instances.TryGetValue(send.Instance?.InstanceId ?? "", out var target) && !target.IsTerminal)
                {
                    target.Inbox.Add(Event(new HistoryEvent { EventRaised = new EventRaisedEvent { Name = send.Name, Input = send.Data } }));
                    Changed(target);
                    Dispatch(target);
                }

                instance.History.Add(Event(new HistoryEvent { EventId = action.Id, EventSent = new EventSentEvent { InstanceId = send.Instance?.InstanceId ?? "", Name = send.Name, Input = send.Data } }));
                break;
            case WorkflowAction.WorkflowActionTypeOneofCase.TerminateWorkflow:
                if (instances.TryGetValue(action.TerminateWorkflow.InstanceId, out var doomed))
                {
                    TerminateCore(doomed, action.TerminateWorkflow.Reason, action.TerminateWorkflow.Recurse);
                }

                break;
            case WorkflowAction.WorkflowActionTypeOneofCase.CompleteWorkflow:
                Complete(instance, action.CompleteWorkflow);
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
                });
                break;
        }
    }

    private void StartChild(WorkflowInstance parent, WorkflowAction action)
    {
        var create = action.CreateChildWorkflow;
        var id = string.IsNullOrEmpty(create.InstanceId) ? $"{parent.Id}:{action.Id:D4}" : create.InstanceId;
        parent.History.Add(Event(new HistoryEvent
        {
            EventId = action.Id,
            ChildWorkflowInstanceCreated = new ChildWorkflowInstanceCreatedEvent { InstanceId = id, Name = create.Name, Version = create.Version, Input = create.Input },
        }));
        if (instances.TryGetValue(id, out var existing) && !existing.IsTerminal)
        {
            parent.Inbox.Add(Event(new HistoryEvent
            {
                ChildWorkflowInstanceFailed = new ChildWorkflowInstanceFailedEvent
                {
                    TaskScheduledId = action.Id,
                    FailureDetails = new TaskFailureDetails { ErrorType = "AlreadyExists", ErrorMessage = $"workflow instance '{id}' already exists", IsNonRetriable = true },
                },
            }));
            return;
        }

        var child = new WorkflowInstance(id, create.Name)
        {
            Input = create.Input,
            Parent = new ParentInstanceInfo
            {
                TaskScheduledId = action.Id,
                Name = parent.Name,
                WorkflowInstance = new Dapr.DurableTask.Protobuf.WorkflowInstance { InstanceId = parent.Id, ExecutionId = parent.ExecutionId },
            },
        };
        child.Inbox.Add(Started(child, create.Version, create.Input));
        instances[id] = child;
        parent.Children.Add(id);
        Changed(child);
        Dispatch(child);
    }

    private void Complete(WorkflowInstance instance, CompleteWorkflowAction complete)
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
            instance.Inbox.AddRange(pending.Where(e => e.EventTypeCase != HistoryEvent.EventTypeOneofCase.TimerFired && e.EventTypeCase != HistoryEvent.EventTypeOneofCase.TaskCompleted && e.EventTypeCase != HistoryEvent.EventTypeOneofCase.TaskFailed));
            SetStatus(instance, OrchestrationStatus.Running);
            return;
        }

        var result = complete.Result is { } r && System.Text.Encoding.UTF8.GetByteCount(r) > MaxPayloadBytes ? null : complete.Result;
        var failure = complete.FailureDetails ?? (result is null && complete.Result is not null
            ? new TaskFailureDetails { ErrorType = "PayloadTooLarge", ErrorMessage = $"the workflow result is larger than {MaxPayloadBytes} bytes", IsNonRetriable = true }
            : null);
        var status = failure is not null && complete.WorkflowStatus == OrchestrationStatus.Completed ? OrchestrationStatus.Failed : complete.WorkflowStatus;
        instance.History.Add(Event(new HistoryEvent { ExecutionCompleted = new ExecutionCompletedEvent { WorkflowStatus = status, Result = result, FailureDetails = failure } }));
        instance.Output = result;
        instance.Failure = failure;
        instance.Completed = Timestamp.FromDateTime(DateTime.UtcNow);
        instance.Inbox.Clear();
        SetStatus(instance, status);

        if (instance.Parent is { } parent && instances.TryGetValue(parent.WorkflowInstance.InstanceId, out var owner) && !owner.IsTerminal)
        {
            owner.Inbox.Add(Event(status == OrchestrationStatus.Completed
                ? new HistoryEvent { ChildWorkflowInstanceCompleted = new ChildWorkflowInstanceCompletedEvent { TaskScheduledId = parent.TaskScheduledId, Result = result } }
                : new HistoryEvent
                {
                    ChildWorkflowInstanceFailed = new ChildWorkflowInstanceFailedEvent
                    {
                        TaskScheduledId = parent.TaskScheduledId,
                        FailureDetails = failure ?? new TaskFailureDetails { ErrorType = status.ToString(), ErrorMessage = $"child workflow '{instance.Id}' ended {status}" },
                    },
                }));
            Changed(owner);
            Dispatch(owner);
        }
    }

    // Status changes a consumed event implies.
    private void Observe(WorkflowInstance instance, HistoryEvent e)
    {
        switch (e.EventTypeCase)
        {
            case HistoryEvent.EventTypeOneofCase.ExecutionStarted:
                instance.StartedAt ??= Timestamp.FromDateTime(DateTime.UtcNow);
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

    private void Dispatch(WorkflowInstance instance)
    {
        if (instance.InTurn || instance.Inbox.Count == 0 || instance.IsTerminal)
        {
            return;
        }

        // A suspended instance takes a turn only to be resumed or terminated.
        if (instance.Status == OrchestrationStatus.Suspended && !instance.Inbox.Any(e =>
            e.EventTypeCase is HistoryEvent.EventTypeOneofCase.ExecutionResumed or HistoryEvent.EventTypeOneofCase.ExecutionTerminated))
        {
            return;
        }

        var turnStarted = Event(new HistoryEvent { WorkflowStarted = new WorkflowStartedEvent() });
        var request = new WorkflowRequest { InstanceId = instance.Id, ExecutionId = instance.ExecutionId };
        request.PastEvents.AddRange(instance.History);
        request.NewEvents.Add(turnStarted);
        request.NewEvents.AddRange(instance.Inbox);
        var token = Guid.NewGuid().ToString("N");
        inFlight[token] = new InFlight(instance.Id, instance.ExecutionId, instance.Inbox.Count, turnStarted, null, Guid.Empty);
        instance.InTurn = true;
        outbox.Writer.TryWrite(new WorkItem { WorkflowRequest = request, CompletionToken = token });
    }

    private void Enqueue(WorkflowInstance instance, ActivityRequest activity)
    {
        var token = Guid.NewGuid().ToString("N");
        inFlight[token] = new InFlight(instance.Id, instance.ExecutionId, 0, null, activity, Guid.Empty);
        outbox.Writer.TryWrite(new WorkItem { ActivityRequest = activity, CompletionToken = token });
    }

    private void Abandon(Guid stream)
    {
        lock (gate)
        {
            foreach (var (token, flight) in inFlight.Where(f => f.Value.Stream == stream).ToList())
            {
                inFlight.Remove(token);
                if (!instances.TryGetValue(flight.InstanceId, out var instance) || instance.ExecutionId != flight.ExecutionId)
                {
                    continue;
                }

                if (flight.Activity is not null)
                {
                    Enqueue(instance, flight.Activity);
                }
                else
                {
                    instance.InTurn = false;
                    Dispatch(instance);
                }
            }
        }
    }

    private void Schedule(WorkflowInstance instance, int timerId, Timestamp fireAt)
    {
        if (fireAt.Seconds >= IndefiniteFireAtSeconds)
        {
            return;
        }

        var (id, execution) = (instance.Id, instance.ExecutionId);
        _ = Task.Run(async () =>
        {
            try
            {
                // Task.Delay takes at most ~49 days at once.
                for (var wait = fireAt.ToDateTime() - DateTime.UtcNow; wait > TimeSpan.Zero; wait = fireAt.ToDateTime() - DateTime.UtcNow)
                {
                    await Task.Delay(wait < TimeSpan.FromDays(30) ? wait : TimeSpan.FromDays(30), stopping.Token);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            lock (gate)
            {
                if (instances.TryGetValue(id, out var target) && target.ExecutionId == execution && !target.IsTerminal)
                {
                    target.Inbox.Add(Event(new HistoryEvent { TimerFired = new TimerFiredEvent { TimerId = timerId, FireAt = fireAt } }));
                    Changed(target);
                    Dispatch(target);
                    _ = Commit();
                }
            }
        });
    }

    private Task AddEventAsync(string instanceId, HistoryEvent e, string verb)
    {
        lock (gate)
        {
            var instance = Find(instanceId);
            if (instance.IsTerminal)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, $"cannot {verb} workflow instance '{instanceId}': it is {instance.Status}"));
            }

            instance.Inbox.Add(Event(e));
            Changed(instance);
            Dispatch(instance);
            return Commit();
        }
    }

    private void Changed(WorkflowInstance instance) => changed.Add(instance);

    // The first event of an execution.
    private static HistoryEvent Started(WorkflowInstance instance, string? version, string? input) => Event(new HistoryEvent
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

    private void TerminateCore(WorkflowInstance instance, string? output, bool recursive)
    {
        if (instance.IsTerminal)
        {
            return;
        }

        instance.Inbox.Add(Event(new HistoryEvent { ExecutionTerminated = new ExecutionTerminatedEvent { Input = output, Recurse = recursive } }));
        Changed(instance);
        Dispatch(instance);
        foreach (var child in recursive ? instance.Children : [])
        {
            if (instances.TryGetValue(child, out var target))
            {
                TerminateCore(target, output, recursive);
            }
        }
    }

    private int PurgeCore(WorkflowInstance instance, bool recursive)
    {
        instances.Remove(instance.Id);
        removed.Add(instance.Id);
        return 1 + (recursive ? instance.Children.Where(instances.ContainsKey).Sum(child => PurgeCore(instances[child], recursive)) : 0);
    }

    // Snapshots what the current operation changed (under the lock) and queues it for the store; the
    // returned task completes once it is stored. Store I/O never runs under the lock.
    private Task Commit()
    {
        var batch = new Batch(
            changed.Select(i => StoredInstance.Of(new WorkflowInstanceRecord(i.State(withPayloads: true), i.History, i.Inbox))).ToList(),
            removed.ToList(),
            new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        changed.Clear();
        removed.Clear();
        writes.Writer.TryWrite(batch);
        return batch.Stored.Task;
    }

    // One writer keeps the store in operation order; batches waiting together go in one transaction.
    private async Task WriteAsync()
    {
        await foreach (var first in writes.Reader.ReadAllAsync())
        {
            var group = new List<Batch> { first };
            while (group.Count < 64 && writes.Reader.TryRead(out var next))
            {
                group.Add(next);
            }

            try
            {
                // Applied in operation order: a later snapshot replaces an earlier one, a purge removes it.
                var latest = new Dictionary<string, StoredInstance>(StringComparer.Ordinal);
                var gone = new HashSet<string>(StringComparer.Ordinal);
                foreach (var batch in group)
                {
                    foreach (var id in batch.Removed)
                    {
                        latest.Remove(id);
                        gone.Add(id);
                    }

                    foreach (var record in batch.Changed)
                    {
                        latest[record.Id] = record;
                        gone.Remove(record.Id);
                    }
                }

                await store.SaveAsync([.. latest.Values], [.. gone]);
                group.ForEach(b => b.Stored.TrySetResult());
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Storing workflow state failed");
                group.ForEach(b => b.Stored.TrySetException(new RpcException(new Status(StatusCode.Unavailable, "the workflow state store is unavailable; retry"))));
            }
        }
    }

    private sealed record Batch(IReadOnlyList<StoredInstance> Changed, IReadOnlyList<string> Removed, TaskCompletionSource Stored);

    // After a restart: every unfinished instance gets back its pending activities, its timers and its turn.
    private void Restore()
    {
        lock (gate)
        {
            foreach (var record in store.LoadAll())
            {
                var state = record.State;
                var instance = new WorkflowInstance(state.InstanceId, state.Name)
                {
                    ExecutionId = state.ExecutionId ?? Guid.NewGuid().ToString("N"),
                    Status = state.WorkflowStatus,
                    Input = state.Input,
                    Output = state.Output,
                    CustomStatus = state.CustomStatus,
                    Failure = state.FailureDetails,
                    Created = state.CreatedTimestamp ?? Timestamp.FromDateTime(DateTime.UtcNow),
                    LastUpdated = state.LastUpdatedTimestamp ?? Timestamp.FromDateTime(DateTime.UtcNow),
                    StartedAt = state.StartedAt,
                    Completed = state.CompletedTimestamp,
                    ScheduledStart = state.ScheduledStartTimestamp,
                };
                instance.History.AddRange(record.History);
                instance.Inbox.AddRange(record.Inbox);
                var all = instance.History.Concat(instance.Inbox).ToList();
                instance.Parent = all.FirstOrDefault(e => e.ExecutionStarted is not null)?.ExecutionStarted.ParentInstance;
                instance.Children.AddRange(all.Where(e => e.ChildWorkflowInstanceCreated is not null).Select(e => e.ChildWorkflowInstanceCreated.InstanceId));
                instances[instance.Id] = instance;
            }

            foreach (var instance in instances.Values.Where(i => !i.IsTerminal))
            {
                var all = instance.History.Concat(instance.Inbox).ToList();
                var finishedTasks = all.Select(e => e.TaskCompleted?.TaskScheduledId ?? e.TaskFailed?.TaskScheduledId).OfType<int>().ToHashSet();
                foreach (var scheduled in instance.History.Where(e => e.TaskScheduled is not null && !finishedTasks.Contains(e.EventId)))
                {
                    Enqueue(instance, new ActivityRequest
                    {
                        Name = scheduled.TaskScheduled.Name,
                        Version = scheduled.TaskScheduled.Version,
                        Input = scheduled.TaskScheduled.Input,
                        TaskId = scheduled.EventId,
                        TaskExecutionId = scheduled.TaskScheduled.TaskExecutionId,
                        WorkflowInstance = new Dapr.DurableTask.Protobuf.WorkflowInstance { InstanceId = instance.Id, ExecutionId = instance.ExecutionId },
                    });
                }

                var firedTimers = all.Where(e => e.TimerFired is not null).Select(e => e.TimerFired.TimerId).ToHashSet();
                foreach (var timer in instance.History.Where(e => e.TimerCreated is not null && !firedTimers.Contains(e.EventId)))
                {
                    Schedule(instance, timer.EventId, timer.TimerCreated.FireAt);
                }

                Dispatch(instance);
            }

            logger.LogInformation("Resumed {Count} unfinished workflow instances", instances.Values.Count(i => !i.IsTerminal));
        }
    }

    private WorkflowInstance Find(string instanceId) =>
        instances.TryGetValue(instanceId, out var instance)
            ? instance
            : throw new RpcException(new Status(StatusCode.NotFound, $"workflow instance '{instanceId}' does not exist"));

    private static void SetStatus(WorkflowInstance instance, OrchestrationStatus status)
    {
        instance.Status = status;
        Touch(instance);
        var changed = instance.Changed;
        instance.Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    private static void Touch(WorkflowInstance instance) => instance.LastUpdated = Timestamp.FromDateTime(DateTime.UtcNow);

    private static HistoryEvent Event(HistoryEvent e)
    {
        if (e.EventId == 0 && e.EventTypeCase is not (HistoryEvent.EventTypeOneofCase.TaskScheduled or HistoryEvent.EventTypeOneofCase.TimerCreated or HistoryEvent.EventTypeOneofCase.ChildWorkflowInstanceCreated))
        {
            e.EventId = -1;
        }

        e.Timestamp ??= Timestamp.FromDateTime(DateTime.UtcNow);
        return e;
    }

    private static void CheckPayload(string? value, string field)
    {
        if (value is not null && System.Text.Encoding.UTF8.GetByteCount(value) > MaxPayloadBytes)
        {
            throw Invalid($"{field} is {System.Text.Encoding.UTF8.GetByteCount(value)} bytes; the limit is {MaxPayloadBytes} bytes");
        }
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    // A work item out with a worker: a turn (Consumed inbox events, its WorkflowStarted) or an activity.
    private sealed record InFlight(string InstanceId, string ExecutionId, int Consumed, HistoryEvent? TurnStarted, ActivityRequest? Activity, Guid Stream);
}
