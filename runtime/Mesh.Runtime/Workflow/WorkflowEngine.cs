using Dapr.DurableTask.Protobuf;
using Grpc.Core;
using Mesh.Runtime.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Runtime.Workflow;

/// <summary>
/// The workflow engine behind one sidecar's <c>TaskHubSidecarService</c>, on Dapr's own protocol types. It holds the
/// unfinished instances (each with at most one turn out at a time) and coordinates four parts, as DurableTask.Core
/// separates runtime state, dispatchers, timers and the orchestration service: <see cref="InstanceStateMachine"/>
/// (what a turn is given and what its answer does), <see cref="WorkDispatcher"/> (work items to the SDK's worker
/// streams), <see cref="DurableTimers"/> and the store (<see cref="StoreWriter"/> over an <see cref="IWorkflowStore"/>,
/// with <see cref="WorkflowRetention"/>). A finished instance leaves memory once it is stored; reads of it go to the
/// store, so memory is bounded by the work in flight, not by history.
/// </summary>
public sealed class WorkflowEngine : IAsyncDisposable
{
    /// <summary>The largest workflow input, event payload or activity result accepted (Dapr's default body limit).</summary>
    public const int MaxPayloadBytes = InstanceStateMachine.MaxPayloadBytes;

    private readonly object gate = new();
    private readonly Dictionary<string, WorkflowInstance> instances = new(StringComparer.Ordinal);
    private readonly IWorkflowStore store;
    private readonly ILogger logger;
    private readonly InstanceStateMachine machine;
    private readonly WorkDispatcher dispatcher;
    private readonly DurableTimers timers;
    private readonly StoreWriter writer;
    private readonly WorkflowRetention retention;
    private readonly ChangeSet changes;
    private readonly CancellationTokenSource stopping = new();

    /// <summary>Creates an engine and resumes every unfinished instance the store holds.</summary>
    public WorkflowEngine(IWorkflowStore store, WorkflowSpec spec, TimeProvider time, ILogger<WorkflowEngine>? logger = null)
    {
        this.store = store;
        this.logger = logger ?? NullLogger<WorkflowEngine>.Instance;
        machine = new InstanceStateMachine(time);
        dispatcher = new WorkDispatcher(spec.MaxConcurrentWorkflowInvocations, spec.MaxConcurrentActivityInvocations);
        timers = new DurableTimers(time, Fire);
        writer = new StoreWriter(store, this.logger);
        retention = new WorkflowRetention(spec.StateRetentionPolicy, time, store, writer, this.logger);
        changes = new ChangeSet(writer, retention);
        Restore();
        retention.StartAsync().GetAwaiter().GetResult();
    }

    /// <summary>Instances held in memory: the unfinished ones (and finished ones until they are stored).</summary>
    internal int InstancesInMemory => Read(() => instances.Count);

    /// <summary>Work items out with the app or waiting for it.</summary>
    internal int WorkItemsInFlight => dispatcher.Count;

    /// <summary>Durable timers scheduled.</summary>
    internal int TimersScheduled => timers.Count;

    /// <summary>Reads a held instance under the engine's lock; false when the engine does not hold it.</summary>
    internal bool TryRead<T>(string instanceId, Func<WorkflowInstance, T> read, out T value)
    {
        (var held, value) = Read(() => instances.TryGetValue(instanceId, out var instance) ? (true, read(instance)) : (false, default(T)!));
        return held;
    }

    /// <summary>Reads under the engine's lock (an instance's fields change under it, also after it left memory).</summary>
    internal T Read<T>(Func<T> read)
    {
        lock (gate)
        {
            return read();
        }
    }

    /// <summary>Schedules a new instance (the request is valid, see <see cref="TaskHubApi"/>); its id is the caller's or a new GUID.</summary>
    public async Task<string> StartAsync(CreateInstanceRequest request)
    {
        var id = string.IsNullOrEmpty(request.InstanceId) ? Guid.NewGuid().ToString() : request.InstanceId;
        Task stored;
        lock (gate)
        {
            if (instances.TryGetValue(id, out var existing) && !existing.IsTerminal)
            {
                throw new RpcException(new Status(StatusCode.AlreadyExists, $"workflow instance '{id}' already exists and is {existing.Status}"));
            }

            Hold(machine.Create(request, id));
            stored = Commit();
        }

        await stored;
        return id;
    }

    /// <summary>Delivers an external event to the instance.</summary>
    public Task RaiseAsync(string instanceId, string name, string? input) =>
        AddEventAsync(instanceId, new HistoryEvent { EventRaised = new EventRaisedEvent { Name = name, Input = input } }, "raise an event to");

    /// <summary>Terminates the instance and, when recursive, its children; a finished instance stays as it is.</summary>
    public Task TerminateAsync(string instanceId, string? output, bool recursive) =>
        CommandAsync(instanceId, null, instance => Terminate(instance, output, recursive));

    /// <summary>Suspends the instance: it takes no turns but for resume and terminate.</summary>
    public Task SuspendAsync(string instanceId, string? reason) =>
        AddEventAsync(instanceId, new HistoryEvent { ExecutionSuspended = new ExecutionSuspendedEvent { Input = reason } }, "suspend");

    /// <summary>Resumes a suspended instance.</summary>
    public Task ResumeAsync(string instanceId, string? reason) =>
        AddEventAsync(instanceId, new HistoryEvent { ExecutionResumed = new ExecutionResumedEvent { Input = reason } }, "resume");

    /// <summary>Removes a finished instance (and its finished children when recursive); the number removed.</summary>
    public async Task<int> PurgeAsync(string instanceId, bool recursive)
    {
        // A finished instance is stored before it is let go, so one not held is in the store or nowhere.
        var record = await store.LoadAsync(instanceId);
        IEnumerable<string> children;
        Task stored;
        lock (gate)
        {
            if (instances.TryGetValue(instanceId, out var held) && !held.IsTerminal)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, $"workflow instance '{instanceId}' is {held.Status}; only finished instances can be purged"));
            }

            if (held is null && record is null)
            {
                return 0;
            }

            children = held?.Children.ToList() ?? InstanceStateMachine.ChildrenOf(record!.History);
            if (held is not null)
            {
                Let(held);
            }

            changes.Removed(instanceId);
            stored = Commit();
        }

        await stored;
        var count = 1;
        foreach (var child in recursive ? children : [])
        {
            try
            {
                count += await PurgeAsync(child, recursive);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
            {
                // A child still running is not purged with its parent.
            }
        }

        return count;
    }

    /// <summary>Feeds work items to one worker stream until it ends; its unfinished items go back to the queue.</summary>
    public async Task StreamAsync(IServerStreamWriter<WorkItem> stream, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping.Token);
        await dispatcher.StreamAsync(stream, Abandoned, linked.Token);
    }

    /// <summary>Applies a finished turn: history, activities, timers, children, completion.</summary>
    public Task CompleteTurnAsync(WorkflowResponse response)
    {
        lock (gate)
        {
            if (!TryTake(response.CompletionToken, activity: false, out var flight, out var instance))
            {
                // Stale or duplicate: the SDK would drop its stream for 5 s on an error, so answer OK.
                logger.LogInformation("Ignored a stale workflow completion for {Instance}", response.InstanceId);
                return Task.CompletedTask;
            }

            Carry(instance, machine.CompleteTurn(instance, flight, response));
            Changed(instance);
            return Commit();
        }
    }

    /// <summary>Records an activity's result as an event for its instance's next turn.</summary>
    public Task CompleteActivityAsync(ActivityResponse response)
    {
        lock (gate)
        {
            if (!TryTake(response.CompletionToken, activity: true, out var flight, out var instance) || instance.IsTerminal)
            {
                logger.LogInformation("Ignored a stale activity completion for {Instance}", response.InstanceId);
                return Task.CompletedTask;
            }

            machine.Deliver(instance, machine.ActivityResult(flight.Activity!, response));
            Changed(instance);
            return Commit();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        stopping.Cancel();
        dispatcher.Stop();
        timers.Dispose();
        retention.Dispose();
        await writer.DisposeAsync();
        stopping.Dispose();
    }

    // The work item a completion answers, and its instance, unless the completion is stale (of a dropped stream, a
    // finished instance or an earlier execution) or repeated.
    private bool TryTake(string token, bool activity, out InFlight flight, out WorkflowInstance instance)
    {
        instance = null!;
        return dispatcher.TryComplete(token, out flight) && (flight.Activity is not null) == activity
            && instances.TryGetValue(flight.InstanceId, out instance!) && instance.ExecutionId == flight.ExecutionId;
    }

    private Task AddEventAsync(string instanceId, HistoryEvent e, string verb) => CommandAsync(instanceId, verb, instance =>
    {
        machine.Deliver(instance, e);
        Changed(instance);
    });

    // Applies a client's command to an unfinished instance. A finished one (held until stored, then in the store) is
    // an error only when the command has a verb to name in it; an instance that is nowhere is NOT_FOUND.
    private async Task CommandAsync(string instanceId, string? verb, Action<WorkflowInstance> apply)
    {
        Task? stored = null;
        OrchestrationStatus? finished = null;
        lock (gate)
        {
            if (instances.TryGetValue(instanceId, out var instance) && instance.IsTerminal)
            {
                finished = instance.Status;
            }
            else if (instance is not null)
            {
                apply(instance);
                stored = Commit();
            }
        }

        if (stored is not null)
        {
            await stored;
            return;
        }

        finished ??= (await store.LoadAsync(instanceId))?.State.WorkflowStatus ?? throw NotFound(instanceId);
        if (verb is not null)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"cannot {verb} workflow instance '{instanceId}': it is {finished}"));
        }
    }

    // Carries out what a turn asked of other instances, the workers and the clock.
    private void Carry(WorkflowInstance instance, TurnEffects effects)
    {
        effects.Activities.ForEach(activity => dispatcher.Send(new WorkItem { ActivityRequest = activity }, new InFlight(instance.Id, instance.ExecutionId, 0, null, activity)));
        effects.Timers.ForEach(timer => timers.Schedule(instance.Id, instance.ExecutionId, timer.TimerId, timer.FireAt));
        foreach (var child in effects.Children)
        {
            if (instances.TryGetValue(child.Id, out var existing) && !existing.IsTerminal)
            {
                effects.Messages.Add((instance.Id, machine.ChildAlreadyExists(child)));
                continue;
            }

            instance.Children.Add(child.Id);
            Hold(child);
        }

        foreach (var (target, e) in effects.Messages)
        {
            if (instances.TryGetValue(target, out var recipient) && !recipient.IsTerminal)
            {
                recipient.Inbox.Add(e);
                Changed(recipient);
            }
        }

        foreach (var terminate in effects.Terminations.Where(t => instances.ContainsKey(t.InstanceId)))
        {
            Terminate(instances[terminate.InstanceId], terminate.Reason, terminate.Recurse);
        }
    }

    private void Terminate(WorkflowInstance instance, string? output, bool recursive)
    {
        if (instance.IsTerminal)
        {
            return;
        }

        machine.Deliver(instance, new HistoryEvent { ExecutionTerminated = new ExecutionTerminatedEvent { Input = output, Recurse = recursive } });
        Changed(instance);
        foreach (var child in (recursive ? instance.Children : []).Where(instances.ContainsKey))
        {
            Terminate(instances[child], output, recursive);
        }
    }

    private void Fire(DueTimer due)
    {
        lock (gate)
        {
            if (instances.TryGetValue(due.InstanceId, out var target) && target.ExecutionId == due.ExecutionId && !target.IsTerminal)
            {
                machine.Deliver(target, new HistoryEvent { TimerFired = new TimerFiredEvent { TimerId = due.TimerId, FireAt = due.FireAt } });
                Changed(target);
                _ = Commit();
            }
        }
    }

    // A worker stream ended: its turns go to the next worker, its activities run again.
    private void Abandoned(IReadOnlyList<InFlight> left)
    {
        lock (gate)
        {
            foreach (var flight in left)
            {
                if (!instances.TryGetValue(flight.InstanceId, out var instance) || instance.ExecutionId != flight.ExecutionId)
                {
                    continue;
                }

                if (flight.Activity is not null)
                {
                    dispatcher.Send(new WorkItem { ActivityRequest = flight.Activity }, flight with { Stream = default });
                }
                else
                {
                    instance.InTurn = false;
                    Changed(instance);
                }
            }

            _ = Commit();
        }
    }

    private void Hold(WorkflowInstance instance)
    {
        instances[instance.Id] = instance;
        Changed(instance);
    }

    // The instance changed: it is stored with the next commit and takes its next turn if it has one.
    private void Changed(WorkflowInstance instance)
    {
        changes.Changed(instance);
        Dispatch(instance);
    }

    private void Dispatch(WorkflowInstance instance)
    {
        if (machine.NextTurn(instance) is var (request, flight))
        {
            dispatcher.Send(new WorkItem { WorkflowRequest = request }, flight);
        }
    }

    private void Let(WorkflowInstance instance)
    {
        instances.Remove(instance.Id);
        timers.Cancel(instance.Id);
    }

    private Task Commit() => changes.Commit(finished =>
    {
        lock (gate)
        {
            // Stored: finished instances leave memory, unless purged or started again meanwhile.
            finished.Where(i => instances.GetValueOrDefault(i.Id) == i).ToList().ForEach(Let);
        }
    });

    // After a restart: every unfinished instance gets back its pending activities, its timers and its turn.
    private void Restore()
    {
        lock (gate)
        {
            foreach (var instance in store.LoadUnfinished().Select(InstanceStateMachine.Restore))
            {
                instances[instance.Id] = instance;
            }

            foreach (var instance in instances.Values)
            {
                Carry(instance, InstanceStateMachine.Pending(instance));
                Dispatch(instance);
            }

            logger.LogInformation("Resumed {Count} unfinished workflow instances", instances.Count);
        }
    }

    private static RpcException NotFound(string instanceId) => new(new Status(StatusCode.NotFound, $"workflow instance '{instanceId}' does not exist"));
}
