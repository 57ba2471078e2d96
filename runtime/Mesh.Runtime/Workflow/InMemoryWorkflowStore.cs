namespace Mesh.Runtime.Workflow;

/// <summary>
/// For <c>state.in-memory</c> actor stores, and sidecars with none: the same contract as <see cref="RedisWorkflowStore"/>
/// in this process's memory, so finished instances still answer (until their retention ends) after the engine let
/// them go. Nothing survives the process.
/// </summary>
public sealed class InMemoryWorkflowStore : IWorkflowStore
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, StoredInstance> instances = new(StringComparer.Ordinal);

    // Ordered as Redis orders a sorted set: by score, then by member.
    private readonly SortedSet<(long CreatedMs, string Id)> index = new(Comparer<(long, string)>.Create(Compare));
    private readonly SortedSet<(long PurgeAtMs, string Id)> purges = new(Comparer<(long, string)>.Create(Compare));

    /// <inheritdoc />
    public Task SaveAsync(IReadOnlyList<StoredInstance> changed, IReadOnlyList<string> removed)
    {
        lock (gate)
        {
            foreach (var record in changed)
            {
                Remove(record.Id);
                instances[record.Id] = record;
                index.Add((record.CreatedMs, record.Id));
                if (record.PurgeAtMs is { } at)
                {
                    purges.Add((at, record.Id));
                }
            }

            foreach (var id in removed)
            {
                Remove(id);
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public IReadOnlyList<WorkflowInstanceRecord> LoadUnfinished()
    {
        lock (gate)
        {
            return [.. index.Select(e => instances[e.Id]).Where(i => !i.Finished).Select(i => i.Read())];
        }
    }

    /// <inheritdoc />
    public Task<WorkflowInstanceRecord?> LoadAsync(string instanceId)
    {
        lock (gate)
        {
            return Task.FromResult(instances.TryGetValue(instanceId, out var stored) ? stored.Read() : null);
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListAsync(int skip, int take)
    {
        lock (gate)
        {
            return Task.FromResult<IReadOnlyList<string>>([.. index.Skip(skip).Take(take).Select(e => e.Id)]);
        }
    }

    /// <inheritdoc />
    public Task<int> PurgeExpiredAsync(long nowMs, int max)
    {
        lock (gate)
        {
            var due = purges.TakeWhile(p => p.PurgeAtMs <= nowMs).Take(max).Select(p => p.Id).ToList();
            due.ForEach(Remove);
            return Task.FromResult(due.Count);
        }
    }

    /// <inheritdoc />
    public Task<long?> NextPurgeAsync()
    {
        lock (gate)
        {
            return Task.FromResult<long?>(purges.Count == 0 ? null : purges.Min.PurgeAtMs);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private static int Compare((long Score, string Id) a, (long Score, string Id) b) =>
        a.Score != b.Score ? a.Score.CompareTo(b.Score) : string.CompareOrdinal(a.Id, b.Id);

    private void Remove(string id)
    {
        if (instances.Remove(id, out var old))
        {
            index.Remove((old.CreatedMs, id));
            if (old.PurgeAtMs is { } at)
            {
                purges.Remove((at, id));
            }
        }
    }
}
