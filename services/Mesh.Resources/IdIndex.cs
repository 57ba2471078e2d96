using System.Text.Json;
using Dapr.Client;

namespace Mesh.Resources;

/// <summary>
/// The ids of one kind of resource (or of one partition of it), in 16 buckets (so concurrent creates rarely contend for
/// the same value) whose values stay bounded however many resources there are. Each bucket's head, "{name}:{bucket}"
/// (e.g. "charge-index:3"), holds its open page of at most <c>pageSize</c> ids and the number of pages sealed before it;
/// a full page is sealed, as it is, into "{name}:{bucket}:{page}" by the create that finds it full. A create therefore reads and rewrites one value of
/// at most a page, whatever the history; only a delete of an id in a sealed page and a listing of every id read the
/// sealed pages.
/// </summary>
/// <remarks>
/// A head written before pages existed is a plain JSON list of ids: it reads as an open page with nothing sealed, and
/// the next create into it seals it whole, so existing stores keep every id.
/// </remarks>
public sealed class IdIndex
{
    /// <summary>The number of buckets.</summary>
    public const int Buckets = 16;

    /// <summary>Ids per page unless told otherwise: a create's read and write stay a few kilobytes.</summary>
    public const int DefaultPageSize = 128;

    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private readonly DaprClient dapr;
    private readonly string store;
    private readonly string name;
    private readonly int pageSize;

    /// <param name="dapr">The Dapr client.</param>
    /// <param name="store">The state store component.</param>
    /// <param name="name">The key prefix of the index, e.g. "item-index".</param>
    /// <param name="pageSize">Ids per page.</param>
    public IdIndex(DaprClient dapr, string store, string name, int pageSize = DefaultPageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        this.dapr = dapr;
        this.store = store;
        this.name = name;
        this.pageSize = pageSize;
    }

    /// <summary>
    /// The operations that add <paramref name="id"/>, read afresh at their ETags: commit them with the resource's
    /// creation, so the index holds exactly what was created, and a concurrent create into the same bucket makes one of
    /// the two transactions fail and try again.
    /// </summary>
    public async Task<IReadOnlyList<StateTransactionRequest>> AddAsync(string id, CancellationToken ct)
    {
        var bucket = Bucket(id);
        var (head, etag) = await HeadAsync(bucket, ct);
        if (head.Ids.Contains(id))
        {
            return [WriteHead(bucket, head, etag)];
        }

        if (head.Ids.Count < pageSize)
        {
            return [WriteHead(bucket, head with { Ids = [.. head.Ids, id] }, etag)];
        }

        // The sealed page must not exist yet: only the transaction that moves the head past it writes it.
        return
        [
            new(PageKey(bucket, head.Sealed), JsonSerializer.SerializeToUtf8Bytes(head.Ids), StateOperationType.Upsert, options: FirstWrite),
            WriteHead(bucket, new Head(head.Sealed + 1, [id]), etag),
        ];
    }

    /// <summary>
    /// The operation that takes <paramref name="id"/> out of the page holding it, at that page's ETag, or null when no
    /// page holds it.
    /// </summary>
    public async Task<StateTransactionRequest?> RemoveAsync(string id, CancellationToken ct)
    {
        var bucket = Bucket(id);
        var (head, etag) = await HeadAsync(bucket, ct);
        if (head.Ids.Contains(id))
        {
            return WriteHead(bucket, head with { Ids = [.. head.Ids.Where(i => i != id)] }, etag);
        }

        foreach (var page in await SealedAsync(bucket, head.Sealed, ct))
        {
            var ids = Ids(page.Value);
            if (ids.Contains(id))
            {
                return new(page.Key, JsonSerializer.SerializeToUtf8Bytes(ids.Where(i => i != id).ToList()), StateOperationType.Upsert, EmptyAsNull(page.ETag), options: FirstWrite);
            }
        }

        return null;
    }

    /// <summary>Every id, in ordinal order: the heads in one bulk read, then every sealed page in another.</summary>
    public async Task<List<string>> AllAsync(CancellationToken ct)
    {
        var bucketOf = Enumerable.Range(0, Buckets).ToDictionary(HeadKey);
        var heads = await dapr.GetBulkStateAsync(store, [.. bucketOf.Keys], parallelism: Buckets, cancellationToken: ct);
        var parsed = heads.Select(h => (Bucket: bucketOf[h.Key], Head: Parse(h.Value))).ToList();
        var sealedKeys = parsed.SelectMany(h => Enumerable.Range(0, h.Head.Sealed).Select(page => PageKey(h.Bucket, page))).ToList();
        var pages = sealedKeys.Count == 0 ? [] : await dapr.GetBulkStateAsync(store, sealedKeys, parallelism: Buckets, cancellationToken: ct);
        var ids = parsed.SelectMany(h => h.Head.Ids).Concat(pages.SelectMany(p => Ids(p.Value))).ToList();
        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    /// <summary>The bucket of an id. FNV-1a: stable across processes and versions, unlike string.GetHashCode.</summary>
    public static int Bucket(string id)
    {
        var hash = 2166136261u;
        foreach (var c in id)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % Buckets);
    }

    private async Task<(Head Head, string ETag)> HeadAsync(int bucket, CancellationToken ct)
    {
        var (json, etag) = await dapr.GetStateAndETagAsync<JsonElement>(store, HeadKey(bucket), cancellationToken: ct);
        return (Parse(json), etag ?? "");
    }

    private async Task<IReadOnlyList<BulkStateItem>> SealedAsync(int bucket, int count, CancellationToken ct) =>
        count == 0 ? [] : await dapr.GetBulkStateAsync(store, [.. Enumerable.Range(0, count).Select(page => PageKey(bucket, page))], parallelism: Buckets, cancellationToken: ct);

    private StateTransactionRequest WriteHead(int bucket, Head head, string etag) =>
        new(HeadKey(bucket), JsonSerializer.SerializeToUtf8Bytes(head, Web), StateOperationType.Upsert, EmptyAsNull(etag), options: FirstWrite);

    private static Head Parse(string? value) =>
        string.IsNullOrEmpty(value) ? new Head(0, []) : Parse(JsonDocument.Parse(value).RootElement);

    private static Head Parse(JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.Object => json.Deserialize<Head>(Web) ?? new Head(0, []),
        // A head written before pages existed: the whole bucket, still open.
        JsonValueKind.Array => new Head(0, json.Deserialize<List<string>>() ?? []),
        _ => new Head(0, []),
    };

    private static List<string> Ids(string? value) =>
        string.IsNullOrEmpty(value) ? [] : JsonSerializer.Deserialize<List<string>>(value) ?? [];

    private static string? EmptyAsNull(string etag) => etag.Length == 0 ? null : etag;

    private string HeadKey(int bucket) => $"{name}:{bucket}";

    private string PageKey(int bucket, int page) => $"{name}:{bucket}:{page}";

    /// <summary>A bucket's head: how many pages were sealed before it, and its open page.</summary>
    private sealed record Head(int Sealed, List<string> Ids);
}
