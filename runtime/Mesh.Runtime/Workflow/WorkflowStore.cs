using Dapr.DurableTask.Protobuf;
using Google.Protobuf;

namespace Mesh.Runtime.Workflow;

/// <summary>
/// Where the engine keeps instances: every instance's latest snapshot, an index by creation, the set of unfinished
/// instances (all the engine reloads on start) and the purge times the retention policy gave finished ones.
/// The engine is the only writer of its app's instances and writes through one <see cref="StoreWriter"/>, in order.
/// </summary>
public interface IWorkflowStore : IDisposable
{
    /// <summary>Writes the instances changed by one or more engine operations, all or none, in the order given.</summary>
    Task SaveAsync(IReadOnlyList<StoredInstance> changed, IReadOnlyList<string> removed);

    /// <summary>Every instance not yet finished, oldest first: what the engine holds in memory after a restart.</summary>
    IReadOnlyList<WorkflowInstanceRecord> LoadUnfinished();

    /// <summary>One instance, finished or not; null when there is none (never created, or purged).</summary>
    Task<WorkflowInstanceRecord?> LoadAsync(string instanceId);

    /// <summary>Instance ids in creation order, skipping the first <paramref name="skip"/>.</summary>
    Task<IReadOnlyList<string>> ListAsync(int skip, int take);

    /// <summary>Removes up to <paramref name="max"/> finished instances whose purge time is at or before <paramref name="nowMs"/>; the number removed.</summary>
    Task<int> PurgeExpiredAsync(long nowMs, int max);

    /// <summary>The earliest purge time still pending (Unix ms), or null when nothing waits for one.</summary>
    Task<long?> NextPurgeAsync();
}

/// <summary>An instance serialized for the store.</summary>
/// <param name="Id">The instance id.</param>
/// <param name="CreatedMs">Creation time (Unix ms): the order of the index.</param>
/// <param name="State">The <see cref="WorkflowState"/> bytes.</param>
/// <param name="History">The history's bytes (a <see cref="GetInstanceHistoryResponse"/>).</param>
/// <param name="Inbox">The pending events' bytes (a <see cref="GetInstanceHistoryResponse"/>).</param>
/// <param name="Created">The first snapshot of this instance (a new one, or one started again under the same id).</param>
/// <param name="Finished">Completed, failed or terminated: no longer reloaded on start.</param>
/// <param name="PurgeAtMs">When the retention policy removes it (Unix ms); null keeps it until purged by hand.</param>
public sealed record StoredInstance(string Id, long CreatedMs, byte[] State, byte[] History, byte[] Inbox, bool Created, bool Finished, long? PurgeAtMs)
{
    /// <summary>Serializes a record (done under the engine's lock, so the bytes are a consistent snapshot).</summary>
    public static StoredInstance Of(WorkflowInstanceRecord record, bool created, long? purgeAtMs) => new(
        record.State.InstanceId,
        record.State.CreatedTimestamp.ToDateTimeOffset().ToUnixTimeMilliseconds(),
        record.State.ToByteArray(),
        new GetInstanceHistoryResponse { Events = { record.History } }.ToByteArray(),
        new GetInstanceHistoryResponse { Events = { record.Inbox } }.ToByteArray(),
        created,
        WorkflowStatuses.IsFinished(record.State.WorkflowStatus),
        purgeAtMs);

    /// <summary>Reads the three blobs back.</summary>
    public static WorkflowInstanceRecord Read(byte[] state, byte[]? history, byte[]? inbox) => new(
        WorkflowState.Parser.ParseFrom(state),
        GetInstanceHistoryResponse.Parser.ParseFrom(history ?? []).Events,
        GetInstanceHistoryResponse.Parser.ParseFrom(inbox ?? []).Events);

    /// <summary>This snapshot read back.</summary>
    public WorkflowInstanceRecord Read() => Read(State, History, Inbox);
}

/// <summary>An instance as stored: its state, history and pending events, in Dapr's own protobuf types.</summary>
/// <param name="State">Status, payloads, timestamps, execution id.</param>
/// <param name="History">The history of the current execution.</param>
/// <param name="Inbox">Events waiting for the next turn.</param>
public sealed record WorkflowInstanceRecord(WorkflowState State, IReadOnlyList<HistoryEvent> History, IReadOnlyList<HistoryEvent> Inbox);

/// <summary>The statuses after which an instance takes no more turns.</summary>
public static class WorkflowStatuses
{
    /// <summary>Completed, failed, terminated (or canceled).</summary>
    public static bool IsFinished(OrchestrationStatus status) =>
        status is OrchestrationStatus.Completed or OrchestrationStatus.Failed or OrchestrationStatus.Terminated or OrchestrationStatus.Canceled;
}

/// <summary>Chooses the store of a sidecar's workflows, as Dapr does: its actor state store.</summary>
public static class WorkflowStores
{
    /// <summary>Redis when the app's <c>actorStateStore: "true"</c> component is <c>state.redis</c>, else this process's memory.</summary>
    public static IWorkflowStore For(Sidecar.SidecarSettings settings)
    {
        var actorStores = settings.Components
            .Where(c => c.Metadata.TryGetValue("actorStateStore", out var flag) && string.Equals(flag, "true", StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (actorStores.Count > 1)
        {
            throw new Components.ComponentException($"only one state store may set actorStateStore: \"true\"; found {string.Join(", ", actorStores.Select(c => $"'{c.Name}' ({c.SourceFile})"))}");
        }

        return actorStores.SingleOrDefault() is { Type: var type } store && string.Equals(type, "state.redis", StringComparison.OrdinalIgnoreCase)
            ? new RedisWorkflowStore(store, settings.App.AppId)
            : new InMemoryWorkflowStore();
    }
}
