namespace Mesh.Resources;

/// <summary>
/// Group commit: writes that arrive while a group is being written wait and go together in the next one, one group at
/// a time in this process, so N writers that would each read the same heads and collide on the same ETags cost one
/// read and one state transaction instead of N in a row. A group holds at most <paramref name="maxGroup"/> items and
/// at most one per key (oldest first); a later item with a key already in the group waits for the next, so it sees
/// what the first wrote.
/// </summary>
/// <typeparam name="TItem">A write.</typeparam>
/// <typeparam name="TResult">What each write came to.</typeparam>
/// <param name="writeGroup">Writes a group and gives one result per item, in order.</param>
/// <param name="keyOf">The key of an item: two items with one key are never in one group.</param>
/// <param name="maxGroup">Items written together at most.</param>
public sealed class GroupCommit<TItem, TResult>(Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> writeGroup, Func<TItem, string> keyOf, int maxGroup)
{
    private readonly Lock gate = new();
    private readonly List<Pending> waiting = [];
    private bool writing;

    /// <summary>
    /// Writes <paramref name="item"/> with the next group. A caller that stops waiting does not take its item back: it
    /// may still be written, as a transaction in flight would be.
    /// </summary>
    public Task<TResult> WriteAsync(TItem item, CancellationToken ct)
    {
        var pending = new Pending(item, keyOf(item), new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (gate)
        {
            waiting.Add(pending);
            if (!writing)
            {
                writing = true;
                _ = Task.Run(WriteGroupsAsync, CancellationToken.None);
            }
        }

        return pending.Done.Task.WaitAsync(ct);
    }

    private async Task WriteGroupsAsync()
    {
        while (true)
        {
            List<Pending> group;
            lock (gate)
            {
                if (waiting.Count == 0)
                {
                    writing = false;
                    return;
                }

                group = Take();
            }

            try
            {
                var results = await writeGroup([.. group.Select(p => p.Item)]);
                for (var i = 0; i < group.Count; i++)
                {
                    group[i].Done.TrySetResult(results[i]);
                }
            }
            catch (Exception e)
            {
                group.ForEach(p => p.Done.TrySetException(e));
            }
        }
    }

    private List<Pending> Take()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var group = new List<Pending>();
        foreach (var pending in waiting)
        {
            if (group.Count < maxGroup && keys.Add(pending.Key))
            {
                group.Add(pending);
            }
        }

        waiting.RemoveAll(group.Contains);
        return group;
    }

    private sealed record Pending(TItem Item, string Key, TaskCompletionSource<TResult> Done);
}
