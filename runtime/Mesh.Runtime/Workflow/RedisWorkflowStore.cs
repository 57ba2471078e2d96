using Mesh.Runtime.Components;
using StackExchange.Redis;

namespace Mesh.Runtime.Workflow;

/// <summary>
/// Instances in the Redis of the state store marked <c>actorStateStore: "true"</c>, as Dapr keeps workflow state in
/// its actor store. Keys, all under <c>{appid}||mesh.workflow||</c>: one hash per instance (<c>{instance}</c>, fields
/// <c>state</c>, <c>history</c>, <c>inbox</c>); the sorted set <c>index</c> of every instance by creation; the set
/// <c>active</c> of unfinished ones (the only ones read on start); the sorted set <c>retention</c> of finished ones by
/// purge time. Every engine operation is one MULTI/EXEC, so a crash never leaves a turn half applied (e.g. a child
/// started but its parent's history without the start).
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

    private RedisKey Active => prefix + "active";

    private RedisKey Retention => prefix + "retention";

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
            if (record.Created)
            {
                // A new instance, or one started again under the id of a finished one (whose purge time no longer applies).
                queued.Add(transaction.SortedSetAddAsync(Index, record.Id, record.CreatedMs));
                queued.Add(transaction.SortedSetRemoveAsync(Retention, record.Id));
                queued.Add(transaction.SetAddAsync(Active, record.Id));
            }

            if (record.Finished)
            {
                queued.Add(transaction.SetRemoveAsync(Active, record.Id));
                if (record.PurgeAtMs is { } at)
                {
                    queued.Add(transaction.SortedSetAddAsync(Retention, record.Id, at));
                }
            }
        }

        foreach (var id in removed)
        {
            Remove(transaction, id, queued);
        }

        await CommitAsync(transaction, queued);
    }

    /// <inheritdoc />
    public IReadOnlyList<WorkflowInstanceRecord> LoadUnfinished()
    {
        var db = redis.GetDatabase();
        var upgrade = !db.KeyExists(Active);
        var records = new List<WorkflowInstanceRecord>();
        foreach (var id in db.SortedSetRangeByRank(Index))
        {
            // Data written before the active set existed is read whole once, and the set built from it.
            if ((!upgrade && !db.SetContains(Active, id)) || Read(db.HashGetAll(prefix + id.ToString())) is not { } record)
            {
                continue;
            }

            if (!WorkflowStatuses.IsFinished(record.State.WorkflowStatus))
            {
                records.Add(record);
                if (upgrade)
                {
                    db.SetAdd(Active, id);
                }
            }
        }

        return records;
    }

    /// <inheritdoc />
    public async Task<WorkflowInstanceRecord?> LoadAsync(string instanceId) => Read(await redis.GetDatabase().HashGetAllAsync(prefix + instanceId));

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> ListAsync(int skip, int take) =>
        [.. (await redis.GetDatabase().SortedSetRangeByRankAsync(Index, skip, skip + take - 1)).Select(id => id.ToString())];

    /// <inheritdoc />
    public async Task<int> PurgeExpiredAsync(long nowMs, int max)
    {
        // Read, then removed in one transaction: the engine's writer runs this between its writes, never beside one.
        var due = await redis.GetDatabase().SortedSetRangeByScoreAsync(Retention, double.NegativeInfinity, nowMs, take: max);
        if (due.Length == 0)
        {
            return 0;
        }

        var transaction = redis.GetDatabase().CreateTransaction();
        var queued = new List<Task>();
        foreach (var id in due)
        {
            Remove(transaction, id.ToString(), queued);
        }

        await CommitAsync(transaction, queued);
        return due.Length;
    }

    /// <inheritdoc />
    public async Task<long?> NextPurgeAsync()
    {
        var first = await redis.GetDatabase().SortedSetRangeByRankWithScoresAsync(Retention, 0, 0);
        return first.Length == 0 ? null : (long)first[0].Score;
    }

    /// <inheritdoc />
    public void Dispose() => redis.Dispose();

    private static WorkflowInstanceRecord? Read(HashEntry[] entries)
    {
        var fields = entries.ToDictionary(e => e.Name.ToString(), e => (byte[])e.Value!);
        return fields.TryGetValue("state", out var state) ? StoredInstance.Read(state, fields.GetValueOrDefault("history"), fields.GetValueOrDefault("inbox")) : null;
    }

    private static async Task CommitAsync(ITransaction transaction, List<Task> queued)
    {
        if (!await transaction.ExecuteAsync())
        {
            throw new InvalidOperationException("the workflow state transaction was not applied");
        }

        await Task.WhenAll(queued);
    }

    private void Remove(ITransaction transaction, string id, List<Task> queued)
    {
        queued.Add(transaction.KeyDeleteAsync(prefix + id));
        queued.Add(transaction.SortedSetRemoveAsync(Index, id));
        queued.Add(transaction.SetRemoveAsync(Active, id));
        queued.Add(transaction.SortedSetRemoveAsync(Retention, id));
    }
}
