using Dapr.Client;
using Mesh.Resources;

namespace Mesh.Workflows.Cases;

/// <summary>
/// Writes the case changes that touch a flow's exception queue or its log of concluded cases, in groups (group
/// commit): changes that arrive while a group is being written wait and go together in the next one, which reads the
/// queue's and the log's heads and tails once and writes every case, queue and log entry of the group in one state
/// transaction, each at the ETag it was read with. One group at a time in a process spares its sagas conflicts with
/// each other and makes the depth told last the newest this process wrote; the first conclusions of 32 sagas at once
/// cost one transaction instead of 32 in a row. A case is in a group at most once, so a duplicate conclusion meets
/// the first at the case's ETag. When a group's transaction loses an ETag race (another replica, or a case changed
/// since its saga read it), every change in it is told so and reads again: nothing is acknowledged before it is
/// written.
/// </summary>
internal sealed class QueueWriter(DaprClient dapr, string store, ExceptionQueue queue, ExceptionQueue log, TimeProvider time, Action<QueueDepth>? depthChanged)
{
    /// <summary>Changes written in one transaction at most.</summary>
    public const int MaxGroup = 64;

    private readonly Lock gate = new();
    private readonly List<Pending> waiting = [];
    private bool writing;

    /// <summary>
    /// Writes the change of the case <paramref name="key"/>, read at <paramref name="etag"/>, with the next group; false
    /// when the group lost an ETag race, so the caller reads the case again.
    /// </summary>
    public Task<bool> WriteAsync(string caseId, string key, string? etag, CaseChange change, CancellationToken ct)
    {
        var pending = new Pending(caseId, key, etag, change, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (gate)
        {
            waiting.Add(pending);
            if (!writing)
            {
                writing = true;
                _ = Task.Run(WriteGroupsAsync, CancellationToken.None);
            }
        }

        // A caller that stops waiting does not take its change back: it may still be written, as a transaction in
        // flight would be.
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
                var written = await WriteGroupAsync(group);
                group.ForEach(p => p.Done.TrySetResult(written));
            }
            catch (Exception e)
            {
                group.ForEach(p => p.Done.TrySetException(e));
            }
        }
    }

    // Oldest first, one change per case; a later change of a case already in the group waits for the next.
    private List<Pending> Take()
    {
        var cases = new HashSet<string>(StringComparer.Ordinal);
        var group = new List<Pending>();
        foreach (var pending in waiting)
        {
            if (group.Count < MaxGroup && cases.Add(pending.CaseId))
            {
                group.Add(pending);
            }
        }

        waiting.RemoveAll(group.Contains);
        return group;
    }

    private async Task<bool> WriteGroupAsync(List<Pending> group)
    {
        var onQueue = group.Where(p => p.Change.TouchesQueue).ToList();
        var editing = onQueue.Count == 0 ? null
            : queue.EditAsync([.. onQueue.Select(p => p.Change.Leaving).OfType<QueuePlace>()], [.. onQueue.Select(p => p.Change.JoiningReason).OfType<string>()], CancellationToken.None);
        var logging = group.Any(p => p.Change.FirstConclusion) ? log.EditAsync([], [""], CancellationToken.None) : null;
        var edit = editing is null ? null : await editing;
        var logged = logging is null ? null : await logging;
        var now = time.GetUtcNow();
        var operations = new List<StateTransactionRequest>();
        foreach (var (caseId, key, etag, change, _) in group)
        {
            if (change.FirstConclusion)
            {
                logged!.Join(caseId, "", now);
            }

            if (change.Leaving is { } leaving)
            {
                edit!.Leave(leaving);
            }

            (QueuePlace? Place, DateTimeOffset? QueueTime) joined = change.JoiningReason is { } reason ? edit!.Join(caseId, reason, now) : (null, null);
            operations.Add(change.Store(joined.Place, joined.QueueTime).WriteAt(key, etag));
            operations.AddRange(change.Alongside);
        }

        operations.AddRange(edit?.Operations() ?? []);
        operations.AddRange(logged?.Operations() ?? []);
        if (!await dapr.TryExecuteStateTransactionAsync(store, operations, CancellationToken.None))
        {
            return false;
        }

        foreach (var change in onQueue.Select(p => p.Change))
        {
            depthChanged?.Invoke(edit!.Depths(new[] { change.Leaving?.Reason, change.JoiningReason }.OfType<string>()));
        }

        return true;
    }

    private sealed record Pending(string CaseId, string Key, string? ETag, CaseChange Change, TaskCompletionSource<bool> Done);
}

/// <summary>
/// What a change of a case does: the place the case leaves, the reason it joins the queue under, the case as
/// <c>Store</c> builds it (given its new place and queue time when it joins), operations that commit with it, and
/// whether it is the case's first conclusion, which joins the log of concluded cases.
/// </summary>
internal sealed record CaseChange(QueuePlace? Leaving, string? JoiningReason, Func<QueuePlace?, DateTimeOffset?, CaseStore.StoredCase> Store, IReadOnlyList<StateTransactionRequest> Alongside, bool FirstConclusion)
{
    /// <summary>Whether the change moves the case on the exception queue.</summary>
    public bool TouchesQueue => Leaving is not null || JoiningReason is not null;

    /// <summary>Whether the change goes through the <see cref="QueueWriter"/>.</summary>
    public bool Grouped => TouchesQueue || FirstConclusion;
}
