using System.Text.Json;
using System.Text.Json.Serialization;
using Dapr.Client;

namespace Mesh.Workflows.Cases;

/// <summary>
/// The exception queue of one flow, in the Dapr state store, kept so that a page reads only its own entries. The
/// queue has views: every exception ("{flow}:exceptions") and the exceptions of each reason
/// ("{flow}:exceptions:reason:{reason}"). A view is a head and numbered segments ("{view}:{segment}"): each case that
/// joins a view takes the view's next sequence number, and its segment is that number divided by the segment size.
/// Numbers only grow, so segments fill at the tail only; the head counts what each non-empty segment holds, so a
/// page starts at the right segment and skips emptied ones without reading them. Changes are read with ETags and
/// written in one state transaction with the case they concern (see <see cref="CaseStore"/>). The same structure
/// under another <paramref name="name"/> and without reason views (an empty reason) is the log of concluded cases.
/// </summary>
internal sealed class ExceptionQueue(DaprClient dapr, string store, string flow, int segmentSize, string name = "exceptions")
{
    /// <summary>The key of a view's head: every entry when <paramref name="reason"/> is null.</summary>
    public string HeadKey(string? reason) => reason is null ? $"{flow}:{name}" : $"{flow}:{name}:reason:{reason}";

    /// <summary>
    /// Reads what a group of changes touches: the heads of the views the <paramref name="leaving"/> places leave and
    /// the <paramref name="joiningReasons"/> join (none for an empty reason), the segments the leaving places sit in,
    /// and the tails to join.
    /// </summary>
    public async Task<QueueEdit> EditAsync(IReadOnlyCollection<QueuePlace> leaving, IReadOnlyCollection<string> joiningReasons, CancellationToken ct)
    {
        var heads = new HashSet<string>(StringComparer.Ordinal);
        foreach (var place in leaving)
        {
            heads.UnionWith([HeadKey(null), HeadKey(place.Reason)]);
        }

        heads.UnionWith(joiningReasons.SelectMany(JoinedViews));
        var edit = new QueueEdit(this, await ReadManyAsync<QueueHead>([.. heads], ct), segmentSize);
        var segments = new HashSet<string>(StringComparer.Ordinal);
        foreach (var place in leaving)
        {
            segments.Add(edit.SegmentKey(HeadKey(null), place.Sequence));
            segments.Add(edit.SegmentKey(HeadKey(place.Reason), place.ReasonSequence));
        }

        // Only the tails as they are now: joins that fill one start a segment nobody has written yet.
        segments.UnionWith(joiningReasons.SelectMany(JoinedViews).Select(edit.TailKey));
        edit.Load(await ReadManyAsync<List<QueueEntry>>([.. segments], ct));
        return edit;
    }

    /// <summary>
    /// One page of a view, oldest first: up to <paramref name="size"/> entries after sequence <paramref name="after"/>
    /// that joined before <paramref name="before"/> (when set), and whether more may follow.
    /// </summary>
    public async Task<(List<QueueEntry> Page, bool More)> PageAsync(string? reason, DateTimeOffset? before, int size, long after, CancellationToken ct)
    {
        var (head, _) = await dapr.GetStateAndETagAsync<QueueHead>(store, HeadKey(reason), cancellationToken: ct);
        var page = new List<QueueEntry>();
        if (head is null)
        {
            return (page, false);
        }

        var pending = new Queue<long>(head.Segments.Keys.Where(s => s >= (after + 1) / head.SegmentSize));
        while (pending.Count > 0)
        {
            // Enough segments for the rest of the page if they are full, and one more to learn whether more follow.
            var batch = Enumerable.Range(0, Math.Min(pending.Count, ((size - page.Count) / head.SegmentSize) + 2)).Select(_ => pending.Dequeue()).ToList();
            var read = await ReadManyAsync<List<QueueEntry>>([.. batch.Select(s => $"{HeadKey(reason)}:{s}")], ct);
            foreach (var entry in batch.SelectMany(s => read[$"{HeadKey(reason)}:{s}"].Value ?? []).Where(e => e.Sequence > after).OrderBy(e => e.Sequence))
            {
                // Queue times grow with sequence numbers: the first entry too new ends the view.
                if (before is { } limit && entry.QueueTime >= limit)
                {
                    return (page, false);
                }

                if (page.Count == size)
                {
                    return (page, true);
                }

                page.Add(entry);
            }
        }

        return (page, false);
    }

    /// <summary>The views an entry of <paramref name="reason"/> joins: every entry's, and its reason's unless empty.</summary>
    public IEnumerable<string> JoinedViews(string reason) => reason.Length == 0 ? [HeadKey(null)] : [HeadKey(null), HeadKey(reason)];

    private async Task<Dictionary<string, (T? Value, string? ETag)>> ReadManyAsync<T>(IReadOnlyList<string> keys, CancellationToken ct)
        where T : class
    {
        if (keys.Count == 0)
        {
            return [];
        }

        var read = await dapr.GetBulkStateAsync(store, keys, parallelism: keys.Count, cancellationToken: ct);
        return read.ToDictionary(
            r => r.Key,
            r => (string.IsNullOrEmpty(r.Value) ? null : JsonSerializer.Deserialize<T>(r.Value, JsonSerializerOptions.Web), string.IsNullOrEmpty(r.ETag) ? null : r.ETag));
    }
}

/// <summary>
/// The head of one view of an exception queue: the next sequence number, how many entries each non-empty segment
/// holds, the newest queue time, and the segment size the view was created with (so changing the default never
/// misplaces existing entries).
/// </summary>
internal sealed class QueueHead
{
    /// <summary>The next sequence number.</summary>
    public long Next { get; set; }

    /// <summary>The entries of each non-empty segment, by segment number.</summary>
    public SortedDictionary<long, int> Segments { get; set; } = [];

    /// <summary>The newest queue time of the view.</summary>
    public DateTimeOffset Newest { get; set; }

    /// <summary>Entries per segment.</summary>
    public int SegmentSize { get; set; }

    /// <summary>The entries on the view.</summary>
    [JsonIgnore]
    public int Depth => Segments.Values.Sum();
}

/// <summary>The exception queue's depth after a change, and that of the reasons the change touched.</summary>
/// <param name="Total">Cases on the queue.</param>
/// <param name="ByReason">Cases on the queue with each reason the change touched.</param>
public sealed record QueueDepth(int Total, IReadOnlyDictionary<string, int> ByReason);

/// <summary>One case on a view of the queue.</summary>
/// <param name="Sequence">Its number on the view.</param>
/// <param name="CaseId">The case.</param>
/// <param name="QueueTime">When it joined the queue.</param>
internal sealed record QueueEntry(long Sequence, string CaseId, DateTimeOffset QueueTime);

/// <summary>Where a case sits on the queue: its number on the view of every exception, and on that of its reason.</summary>
/// <param name="Sequence">Its number on the view of every exception.</param>
/// <param name="Reason">Its reason.</param>
/// <param name="ReasonSequence">Its number on the view of its reason; -1 when it joined no reason's view.</param>
internal sealed record QueuePlace(long Sequence, string Reason, long ReasonSequence);

/// <summary>
/// A change to the queue, applied in memory to the heads and segments read with their ETags; <see cref="Operations"/>
/// writes them back, each at the ETag it was read with, so a concurrent change makes the whole transaction fail.
/// </summary>
internal sealed class QueueEdit(ExceptionQueue queue, Dictionary<string, (QueueHead? Value, string? ETag)> heads, int segmentSize)
{
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };
    private readonly Dictionary<string, (List<QueueEntry> Entries, string? ETag)> segments = new(StringComparer.Ordinal);
    private readonly HashSet<string> changed = new(StringComparer.Ordinal);

    /// <summary>The depth of the queue after the change.</summary>
    public int Depth => Head(queue.HeadKey(null)).Depth;

    /// <summary>The depth of the queue and of the views of <paramref name="reasons"/> after the change.</summary>
    public QueueDepth Depths(IEnumerable<string> reasons) =>
        new(Depth, reasons.Distinct(StringComparer.Ordinal).ToDictionary(r => r, r => Head(queue.HeadKey(r)).Depth, StringComparer.Ordinal));

    /// <summary>The key of the segment holding <paramref name="sequence"/> on a view.</summary>
    public string SegmentKey(string view, long sequence) => $"{view}:{sequence / Head(view).SegmentSize}";

    /// <summary>The key of the segment the next entry of a view goes to.</summary>
    public string TailKey(string view) => SegmentKey(view, Head(view).Next);

    /// <summary>Takes the segments read for the change.</summary>
    public void Load(Dictionary<string, (List<QueueEntry>? Value, string? ETag)> read)
    {
        foreach (var (key, (entries, etag)) in read)
        {
            segments[key] = (entries ?? [], etag);
        }
    }

    /// <summary>Takes a case off both its views.</summary>
    public void Leave(QueuePlace place)
    {
        Remove(queue.HeadKey(null), place.Sequence);
        Remove(queue.HeadKey(place.Reason), place.ReasonSequence);
    }

    /// <summary>
    /// Puts a case at the end of the queue and of its reason's view (unless the reason is empty). Its queue time is <paramref name="now"/>, or just
    /// after the newest one when the clock is behind it (another replica's, or a clock set back), so queue times grow
    /// with sequence numbers and a time filter can stop at the first entry too new.
    /// </summary>
    public (QueuePlace Place, DateTimeOffset QueueTime) Join(string caseId, string reason, DateTimeOffset now)
    {
        var all = Head(queue.HeadKey(null));
        var queueTime = now > all.Newest ? now : all.Newest.AddTicks(1);
        all.Newest = queueTime;
        var sequence = Append(queue.HeadKey(null), caseId, queueTime);
        return (new QueuePlace(sequence, reason, reason.Length == 0 ? -1 : Append(queue.HeadKey(reason), caseId, queueTime)), queueTime);
    }

    /// <summary>The writes of the change, each conditional on the ETag its key was read with.</summary>
    public IEnumerable<StateTransactionRequest> Operations()
    {
        foreach (var key in changed)
        {
            if (heads.TryGetValue(key, out var head))
            {
                yield return new(key, JsonSerializer.SerializeToUtf8Bytes(head.Value, JsonSerializerOptions.Web), StateOperationType.Upsert, head.ETag, options: FirstWrite);
            }
            else if (segments[key] is { Entries.Count: 0, ETag: { } etag })
            {
                yield return new(key, null, StateOperationType.Delete, etag, options: FirstWrite);
            }
            else if (segments[key].Entries.Count > 0)
            {
                yield return new(key, JsonSerializer.SerializeToUtf8Bytes(segments[key].Entries, JsonSerializerOptions.Web), StateOperationType.Upsert, segments[key].ETag, options: FirstWrite);
            }
        }
    }

    private QueueHead Head(string view)
    {
        var (head, etag) = heads.GetValueOrDefault(view);
        if (head is null)
        {
            head = new QueueHead { SegmentSize = segmentSize };
            heads[view] = (head, etag);
        }

        return head;
    }

    private List<QueueEntry> Entries(string key)
    {
        if (!segments.TryGetValue(key, out var segment))
        {
            segment = ([], null);
            segments[key] = segment;
        }

        return segment.Entries;
    }

    private long Append(string view, string caseId, DateTimeOffset queueTime)
    {
        var head = Head(view);
        var sequence = head.Next++;
        var key = SegmentKey(view, sequence);
        Entries(key).Add(new QueueEntry(sequence, caseId, queueTime));
        var segment = sequence / head.SegmentSize;
        head.Segments[segment] = head.Segments.GetValueOrDefault(segment) + 1;
        changed.UnionWith([view, key]);
        return sequence;
    }

    private void Remove(string view, long sequence)
    {
        var head = Head(view);
        var key = SegmentKey(view, sequence);
        if (Entries(key).RemoveAll(e => e.Sequence == sequence) == 0)
        {
            return;
        }

        var segment = sequence / head.SegmentSize;
        if (--head.Segments[segment] <= 0)
        {
            head.Segments.Remove(segment);
        }

        changed.UnionWith([view, key]);
    }
}
