using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;

namespace Mesh.MasterData.Domain;

/// <summary>
/// The item master: items created once per request id with their identifiers claimed (ALREADY_EXISTS naming the
/// holder), updated field by field, and announced (ItemCreated, ItemUpdated) in the transaction that saves them.
/// </summary>
public sealed class ItemMaster(ResourceStore<Item> items, UniqueIdentifiers<Item> identifiers, ContractEvents events, TimeProvider time)
{
    // Every write keeps the item in the groups of its suppliers, which a supplier's delete reads.
    private readonly ReferenceGroup<Item> bySupplier = ItemRules.BySupplier(items);

    /// <summary>Creates <paramref name="draft"/> under <paramref name="itemId"/>, or a new id.</summary>
    public async Task<Item> CreateAsync(Item draft, string itemId, string requestId, CancellationToken ct)
    {
        var item = draft.Clone();
        ItemRules.Validate(item);
        var id = ResourceName.NewId(itemId, "item_id");
        var now = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        item.Name = ItemRules.Items.Of(id);
        item.State = item.State == ItemState.Unspecified ? ItemState.Active : item.State;
        item.CreateTime = now;
        item.UpdateTime = now;
        // A retry with the same request_id returns the first item and announces nothing again.
        return await items.CreateAsync(
            id, item, requestId, ct, async token => [.. await identifiers.ClaimAsync(id, item, token), .. await bySupplier.TrackAsync(id, null, item, token)],
            [items.Announce(id, MasterDataEvents.ItemCreated(events, item, requestId))]);
    }

    /// <summary>Applies the fields of <paramref name="change"/> named by <paramref name="mask"/>.</summary>
    public Task<Item> UpdateAsync(Item change, FieldMask? mask, CancellationToken ct)
    {
        var id = ItemRules.Items.IdOf(change.Name, "item.name");
        return StandardMethods.UpdateAsync(items, id, change, mask, ItemRules.UpdatablePaths, updated =>
        {
            ItemRules.Validate(updated);
            updated.UpdateTime = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        }, ct, async (updated, token) =>
        [
            .. await identifiers.ClaimAsync(id, updated, token),
            // The stored item read here is the one the update replaces: had it changed since, its ETag fails the write.
            .. mask?.Paths.Contains("supplier_part_numbers") == true ? await bySupplier.TrackAsync(id, await items.GetAsync(id, token), updated, token) : [],
        ], (current, updated) => MasterDataEvents.ItemUpdated(events, updated, current.GetETag(), mask!));
    }

    /// <summary>Deletes the item <paramref name="name"/>: NOT_FOUND, or ABORTED when <paramref name="etag"/> is stale.</summary>
    public Task DeleteAsync(string name, string etag, CancellationToken ct)
    {
        var id = ItemRules.Items.IdOf(name, "name");
        return StandardMethods.DeleteAsync(items, id, name, etag, ct, (stored, token) => bySupplier.TrackAsync(id, stored, null, token));
    }

    /// <summary>The items most like <paramref name="candidate"/> (never itself), best first.</summary>
    /// <remarks>
    /// A scan by nature: similarity is fuzzy (descriptions, manufacturer part numbers), so no key or group finds the
    /// candidates; exact identifiers (GTIN, UDI-DI, external ids) are claimed as unique keys instead. Its cost grows with
    /// the item master, and the catalog import calls it once per row it adds.
    /// </remarks>
    public async Task<IEnumerable<(Item Item, int Score, List<string> Fields)>> FindDuplicatesAsync(Item candidate, int minScoreBasisPoints, int maxMatches, CancellationToken ct)
    {
        var minimum = Matching.MinScore(minScoreBasisPoints);
        var existing = await items.AllAsync(ct);
        return Matching.Best(existing.Where(e => e.Name != candidate.Name), e => ItemRules.Similarity(candidate, e), minimum, Matching.MaxMatches(maxMatches));
    }
}
