namespace Mesh.Runtime.Workflow;

/// <summary>
/// What the engine's current operation changed, written to the store as one snapshot when the operation commits:
/// changed instances (with the purge time retention gives a finished one) and removed ids. Used under the engine's
/// lock only, so the snapshot is consistent; the write itself happens later, in the <see cref="StoreWriter"/>'s order.
/// </summary>
internal sealed class ChangeSet(StoreWriter writer, WorkflowRetention retention)
{
    private readonly HashSet<WorkflowInstance> changed = [];
    private readonly HashSet<string> removed = new(StringComparer.Ordinal);

    /// <summary>The instance is written with the next commit.</summary>
    public void Changed(WorkflowInstance instance)
    {
        changed.Add(instance);
        removed.Remove(instance.Id);
    }

    /// <summary>The instance is removed from the store with the next commit.</summary>
    public void Removed(string instanceId)
    {
        changed.RemoveWhere(i => i.Id == instanceId);
        removed.Add(instanceId);
    }

    /// <summary>
    /// Queues the snapshot; the task completes once it is stored. <paramref name="finished"/> is then called with the
    /// finished instances it held, which the engine may let go.
    /// </summary>
    public Task Commit(Action<IReadOnlyList<WorkflowInstance>> finished)
    {
        var done = changed.Where(i => i.IsTerminal).ToList();
        var snapshot = changed.Select(Snapshot).ToList();
        var stored = writer.WriteAsync(snapshot, [.. removed]);
        changed.Clear();
        removed.Clear();
        foreach (var purgeAt in snapshot.Select(s => s.PurgeAtMs).OfType<long>())
        {
            retention.Arm(purgeAt);
        }

        if (done.Count > 0)
        {
            _ = stored.ContinueWith(_ => finished(done), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }

        return stored;
    }

    private StoredInstance Snapshot(WorkflowInstance instance)
    {
        var created = !instance.Stored;
        instance.Stored = true;
        return StoredInstance.Of(
            instance.Record(),
            created,
            instance.IsTerminal && instance.Completed is { } finishedAt ? retention.PurgeAt(instance.Status, finishedAt.ToDateTimeOffset()) : null);
    }
}
