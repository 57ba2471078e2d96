using Dapr.DurableTask.Protobuf;
using Google.Protobuf;
using Mesh.Runtime.Components;
using StackExchange.Redis;

namespace Mesh.Runtime.Workflow;

/// <summary>Where the engine keeps instances between restarts.</summary>
public interface IWorkflowStore : IDisposable
{
    /// <summary>Writes the instances changed by one or more engine operations, all or none, in the order given.</summary>
    Task SaveAsync(IReadOnlyList<StoredInstance> changed, IReadOnlyList<string> removed);

    /// <summary>Every stored instance, oldest first.</summary>
    IReadOnlyList<WorkflowInstanceRecord> LoadAll();
}

/// <summary>An instance serialized for the store: id, creation time, and its three protobuf blobs.</summary>
public sealed record StoredInstance(string Id, long CreatedMs, byte[] State, byte[] History, byte[] Inbox)
{
    /// <summary>Serializes a record (done under the engine's lock, so the bytes are a consistent snapshot).</summary>
    public static StoredInstance Of(WorkflowInstanceRecord record) => new(
        record.State.InstanceId,
        record.State.CreatedTimestamp.ToDateTimeOffset().ToUnixTimeMilliseconds(),
        record.State.ToByteArray(),
        new GetInstanceHistoryResponse { Events = { record.History } }.ToByteArray(),
        new GetInstanceHistoryResponse { Events = { record.Inbox } }.ToByteArray());
}

/// <summary>An instance as stored: its state, history and pending events, in Dapr's own protobuf types.</summary>
/// <param name="State">Status, payloads, timestamps, execution id.</param>
/// <param name="History">The history of the current execution.</param>
/// <param name="Inbox">Events waiting for the next turn.</param>
public sealed record WorkflowInstanceRecord(WorkflowState State, IReadOnlyList<HistoryEvent> History, IReadOnlyList<HistoryEvent> Inbox);

/// <summary>For <c>state.in-memory</c> actor stores, and sidecars with none: nothing survives the process.</summary>
public sealed class NoWorkflowStore : IWorkflowStore
{
    /// <inheritdoc />
    public Task SaveAsync(IReadOnlyList<StoredInstance> changed, IReadOnlyList<string> removed) => Task.CompletedTask;

    /// <inheritdoc />
    public IReadOnlyList<WorkflowInstanceRecord> LoadAll() => [];

    /// <inheritdoc />
    public void Dispose()
    {
    }
}

/// <summary>
/// Instances in the Redis of the state store marked <c>actorStateStore: "true"</c>, as Dapr keeps
/// workflow state in its actor store. One hash per instance, <c>{appid}||mesh.workflow||{instance}</c>, with
/// fields <c>state</c> (WorkflowState), <c>history</c> and <c>inbox</c> (HistoryEvent lists); a sorted set
/// <c>{appid}||mesh.workflow||index</c> orders them by creation. Every engine operation is written in
/// one MULTI/EXEC, so a crash never leaves a turn half applied (e.g. a child started but its parent's
/// history without the start).
/// </summary>
public sealed class RedisWorkflowStore : IWorkflowStore
{
    private readonly ConnectionMultiplexer redis;
    private readonly string prefix;

    /// <summary>Connects with the component's Redis metadata.</summary>
    public RedisWorkflowStore(ComponentDefinition actorStore, string appId)
    {
        redis = ConnectionMultiplexer.Connect(RedisConnection.Options(new ComponentMetadata(actorStore)));
        prefix = $"{appId}||mesh.workflow||";
    }

    private RedisKey Index => prefix + "index";

    /// <inheritdoc />
    public async Task SaveAsync(IReadOnlyList<StoredInstance> changed, IReadOnlyList<string> removed)
    {
        if (changed.Count == 0 && removed.Count == 0)
        {
            return;
        }

        var transaction = redis.GetDatabase().CreateTransaction();
        var queued = new List<Task>();
        foreach (var record in changed)
        {
            queued.Add(transaction.HashSetAsync(prefix + record.Id, [new HashEntry("state", record.State), new HashEntry("history", record.History), new HashEntry("inbox", record.Inbox)]));
            queued.Add(transaction.SortedSetAddAsync(Index, record.Id, record.CreatedMs));
        }

        foreach (var id in removed)
        {
            queued.Add(transaction.KeyDeleteAsync(prefix + id));
            queued.Add(transaction.SortedSetRemoveAsync(Index, id));
        }

        if (!await transaction.ExecuteAsync())
        {
            throw new InvalidOperationException("the workflow state transaction was not applied");
        }

        await Task.WhenAll(queued);
    }

    /// <inheritdoc />
    public IReadOnlyList<WorkflowInstanceRecord> LoadAll()
    {
        var db = redis.GetDatabase();
        var records = new List<WorkflowInstanceRecord>();
        foreach (var id in db.SortedSetRangeByRank(Index))
        {
            var fields = db.HashGetAll(prefix + id.ToString()).ToDictionary(e => e.Name.ToString(), e => (byte[])e.Value!);
            if (!fields.TryGetValue("state", out var state))
            {
                continue;
            }

            records.Add(new WorkflowInstanceRecord(
                WorkflowState.Parser.ParseFrom(state),
                GetInstanceHistoryResponse.Parser.ParseFrom(fields.GetValueOrDefault("history") ?? []).Events,
                GetInstanceHistoryResponse.Parser.ParseFrom(fields.GetValueOrDefault("inbox") ?? []).Events));
        }

        return records;
    }

    /// <inheritdoc />
    public void Dispose() => redis.Dispose();
}

/// <summary>Chooses the store of a sidecar's workflows, as Dapr does: its actor state store.</summary>
public static class WorkflowStores
{
    /// <summary>Redis when the app's <c>actorStateStore: "true"</c> component is <c>state.redis</c>, else memory only.</summary>
    public static IWorkflowStore For(Sidecar.SidecarSettings settings)
    {
        var actorStores = settings.Components
            .Where(c => c.Metadata.TryGetValue("actorStateStore", out var flag) && string.Equals(flag, "true", StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (actorStores.Count > 1)
        {
            throw new ComponentException($"only one state store may set actorStateStore: \"true\"; found {string.Join(", ", actorStores.Select(c => $"'{c.Name}' ({c.SourceFile})"))}");
        }

        return actorStores.SingleOrDefault() is { Type: var type } store && string.Equals(type, "state.redis", StringComparison.OrdinalIgnoreCase)
            ? new RedisWorkflowStore(store, settings.App.AppId)
            : new NoWorkflowStore();
    }
}
