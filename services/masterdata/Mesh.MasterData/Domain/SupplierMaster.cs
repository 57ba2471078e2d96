using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;

namespace Mesh.MasterData.Domain;

/// <summary>
/// The supplier master: suppliers created once per request id with their tax id and external ids claimed, announced
/// (SupplierCreated) in the transaction that saves them, and deleted only when no item is sold by them (which reads
/// only the items grouped under the supplier, <see cref="ItemRules.BySupplier"/>).
/// </summary>
public sealed class SupplierMaster(ResourceStore<Supplier> suppliers, ResourceStore<Item> items, UniqueIdentifiers<Supplier> identifiers, ContractEvents events, TimeProvider time)
{
    private readonly ReferenceGroup<Item> itemsBySupplier = ItemRules.BySupplier(items);

    /// <summary>Creates <paramref name="draft"/> under <paramref name="supplierId"/>, or a new id.</summary>
    public async Task<Supplier> CreateAsync(Supplier draft, string supplierId, string requestId, CancellationToken ct)
    {
        var supplier = draft.Clone();
        SupplierRules.Validate(supplier);
        var id = ResourceName.NewId(supplierId, "supplier_id");
        var now = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        supplier.Name = SupplierRules.Suppliers.Of(id);
        supplier.State = supplier.State == SupplierState.Unspecified ? SupplierState.Active : supplier.State;
        supplier.CreateTime = now;
        supplier.UpdateTime = now;
        return await suppliers.CreateAsync(
            id, supplier, requestId, ct, token => identifiers.ClaimAsync(id, supplier, token), [suppliers.Announce(id, MasterDataEvents.SupplierCreated(events, supplier, requestId))]);
    }

    /// <summary>Applies the fields of <paramref name="change"/> named by <paramref name="mask"/>.</summary>
    public Task<Supplier> UpdateAsync(Supplier change, FieldMask? mask, CancellationToken ct)
    {
        var id = SupplierRules.Suppliers.IdOf(change.Name, "supplier.name");
        return StandardMethods.UpdateAsync(suppliers, id, change, mask, SupplierRules.UpdatablePaths, updated =>
        {
            SupplierRules.Validate(updated);
            updated.UpdateTime = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        }, ct, (updated, token) => identifiers.ClaimAsync(id, updated, token));
    }

    /// <summary>Deletes the supplier <paramref name="name"/>: FAILED_PRECONDITION while an item names it as its supplier.</summary>
    public async Task DeleteAsync(string name, string etag, CancellationToken ct)
    {
        var id = SupplierRules.Suppliers.IdOf(name, "name");
        if (await itemsBySupplier.FirstReferringAsync(name, ct) is { } item)
        {
            throw ResourceErrors.FailedPrecondition($"{item.Name} is sold by {name} (supplier_part_numbers); remove that number first, or make {name} inactive");
        }

        await StandardMethods.DeleteAsync(suppliers, id, name, etag, ct);
    }

    /// <summary>The suppliers most like <paramref name="candidate"/> (never itself), best first.</summary>
    /// <remarks>
    /// A scan by nature: similarity is fuzzy (names, addresses), so no key or group finds the candidates; exact
    /// identifiers (tax id, external ids) are claimed as unique keys instead. Its cost grows with the supplier master.
    /// </remarks>
    public async Task<IEnumerable<(Supplier Supplier, int Score, List<string> Fields)>> FindDuplicatesAsync(Supplier candidate, int minScoreBasisPoints, int maxMatches, CancellationToken ct)
    {
        var minimum = Matching.MinScore(minScoreBasisPoints);
        var existing = await suppliers.AllAsync(ct);
        return Matching.Best(existing.Where(e => e.Name != candidate.Name), e => SupplierRules.Similarity(candidate, e), minimum, Matching.MaxMatches(maxMatches));
    }
}
