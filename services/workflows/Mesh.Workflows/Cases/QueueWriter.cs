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
internal sealed class QueueWriter
{
    /// <summary>Changes written in one transaction at most.</summary>
    public const int MaxGroup = 64;

    private readonly DaprClient dapr;
    private readonly string store;
    private readonly ExceptionQueue queue;
    private readonly ExceptionQueue log;
    private readonly TimeProvider time;
    private readonly Action<QueueDepth>? depthChanged;
    private readonly GroupCommit<Pending, bool> groups;

    public QueueWriter(DaprClient dapr, string store, ExceptionQueue queue, ExceptionQueue log, TimeProvider time, Action<QueueDepth>? depthChanged)
    {
        (this.dapr, this.store, this.queue, this.log, this.time, this.depthChanged) = (dapr, store, queue, log, time, depthChanged);
        groups = new(WriteGroupAsync, p => p.CaseId, MaxGroup);
    }

    /// <summary>
    /// Writes the change of the case <paramref name="key"/>, read at <paramref name="etag"/>, with the next group; false
    /// when the group lost an ETag race, so the caller reads the case again.
    /// </summary>
    public Task<bool> WriteAsync(string caseId, string key, string? etag, CaseChange change, CancellationToken ct) =>
        groups.WriteAsync(new Pending(caseId, key, etag, change), ct);

    private async Task<IReadOnlyList<bool>> WriteGroupAsync(IReadOnlyList<Pending> group)
    {
        var onQueue = group.Where(p => p.Change.TouchesQueue).ToList();
        var editing = onQueue.Count == 0 ? null
            : queue.EditAsync([.. onQueue.Select(p => p.Change.Leaving).OfType<QueuePlace>()], [.. onQueue.Select(p => p.Change.JoiningReason).OfType<string>()], CancellationToken.None);
        var logging = group.Any(p => p.Change.FirstConclusion) ? log.EditAsync([], [""], CancellationToken.None) : null;
        var edit = editing is null ? null : await editing;
        var logged = logging is null ? null : await logging;
        var now = time.GetUtcNow();
        var operations = new List<StateTransactionRequest>();
        foreach (var (caseId, key, etag, change) in group)
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
            return [.. group.Select(_ => false)];
        }

        foreach (var change in onQueue.Select(p => p.Change))
        {
            depthChanged?.Invoke(edit!.Depths(new[] { change.Leaving?.Reason, change.JoiningReason }.OfType<string>()));
        }

        return [.. group.Select(_ => true)];
    }

    private sealed record Pending(string CaseId, string Key, string? ETag, CaseChange Change);
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
