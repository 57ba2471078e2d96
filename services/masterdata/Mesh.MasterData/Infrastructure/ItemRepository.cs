using Dapr.Client;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;

namespace Mesh.MasterData.Infrastructure;

/// <summary>Which Dapr state store holds master data.</summary>
public sealed record ItemRepositoryOptions(string StateStore);

/// <summary>
/// Items in the Dapr state store: one key per item (protobuf JSON), an id index for listing, and one key per
/// create request id for idempotency. Writes use first-write concurrency with ETags, so racing writers get
/// ABORTED instead of overwriting each other.
/// </summary>
public sealed class ItemRepository(DaprClient dapr, ItemRepositoryOptions options)
{
    private const string IndexKey = "items-index";
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>The item and its ETag, or null.</summary>
    public async Task<(Item? Item, string ETag)> GetAsync(string id, CancellationToken ct)
    {
        var (json, etag) = await dapr.GetStateAndETagAsync<string>(options.StateStore, Key(id), cancellationToken: ct);
        if (json is null)
        {
            return (null, etag);
        }

        var item = Parser.Parse<Item>(json);
        item.Etag = etag;
        return (item, etag);
    }

    /// <summary>The items of these ids that exist, in the order given, read in one bulk call.</summary>
    public async Task<List<Item>> GetManyAsync(IReadOnlyList<string> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        var read = await dapr.GetBulkStateAsync<string>(options.StateStore, [.. ids.Select(Key)], parallelism: 16, cancellationToken: ct);
        var byKey = read.Where(r => !string.IsNullOrEmpty(r.Value)).ToDictionary(r => r.Key, r => (r.Value, r.ETag));
        var found = new List<Item>(ids.Count);
        foreach (var id in ids)
        {
            if (byKey.TryGetValue(Key(id), out var entry))
            {
                var item = Parser.Parse<Item>(entry.Value);
                item.Etag = entry.ETag;
                found.Add(item);
            }
        }

        return found;
    }

    /// <summary>Writes the item if its ETag still matches ("" for a new key); false when another writer won.</summary>
    public Task<bool> TrySaveAsync(string id, Item item, string etag, CancellationToken ct)
    {
        var stored = item.Clone();
        stored.Etag = "";
        return dapr.TrySaveStateAsync(options.StateStore, Key(id), JsonFormatter.Default.Format(stored), etag, FirstWrite, cancellationToken: ct);
    }

    /// <summary>Deletes the item if its ETag still matches.</summary>
    public Task<bool> TryDeleteAsync(string id, string etag, CancellationToken ct) =>
        dapr.TryDeleteStateAsync(options.StateStore, Key(id), etag, FirstWrite, cancellationToken: ct);

    /// <summary>Every item id, in creation order.</summary>
    public async Task<List<string>> IdsAsync(CancellationToken ct) =>
        await dapr.GetStateAsync<List<string>>(options.StateStore, IndexKey, cancellationToken: ct) ?? [];

    /// <summary>Adds or removes an id in the index, retrying when another writer changed it.</summary>
    public async Task UpdateIndexAsync(Func<List<string>, List<string>> change, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var (ids, etag) = await dapr.GetStateAndETagAsync<List<string>>(options.StateStore, IndexKey, cancellationToken: ct);
            if (await dapr.TrySaveStateAsync(options.StateStore, IndexKey, change(ids ?? []), etag ?? "", FirstWrite, cancellationToken: ct))
            {
                return;
            }
        }

        throw new RpcException(new Status(StatusCode.Aborted, "the item index kept changing; retry"));
    }

    /// <summary>The item id an earlier create with this request id produced, or null.</summary>
    public Task<string?> RequestAsync(string requestId, CancellationToken ct) =>
        dapr.GetStateAsync<string?>(options.StateStore, $"item-request:{requestId}", cancellationToken: ct);

    /// <summary>Remembers which item a create request produced.</summary>
    public Task RememberRequestAsync(string requestId, string id, CancellationToken ct) =>
        dapr.SaveStateAsync(options.StateStore, $"item-request:{requestId}", id, cancellationToken: ct);

    private static string Key(string id) => $"item:{id}";
}
