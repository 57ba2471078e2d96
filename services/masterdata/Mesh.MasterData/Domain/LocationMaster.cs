using Dapr.Client;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;

namespace Mesh.MasterData.Domain;

/// <summary>
/// The locations: a tree within each facility (a parent in the same facility, never a cycle). Inventory keeps the
/// stock, so a location is made inactive only while it holds none, and deleted only if it never held any; those
/// checks run before the change, not locked against it (stock received in between is the receiving team's to move).
/// Each write keeps the location in the groups of its parent and its cost center (<see cref="LocationRules.ByParent"/>,
/// <see cref="LocationRules.ByCostCenter"/>), so the checks for children and for locations charged to a cost center
/// read one group, never every location.
/// </summary>
public sealed class LocationMaster(ResourceStore<Location> locations, IStock stock, TimeProvider time)
{
    private readonly ReferenceGroup<Location> byParent = LocationRules.ByParent(locations);
    private readonly ReferenceGroup<Location> byCostCenter = LocationRules.ByCostCenter(locations);

    /// <summary>Creates <paramref name="draft"/> under <paramref name="locationId"/>, or a new id.</summary>
    public async Task<Location> CreateAsync(Location draft, string locationId, string requestId, CancellationToken ct)
    {
        var location = draft.Clone();
        LocationRules.Validate(location);
        var id = ResourceName.NewId(locationId, "location_id");
        var now = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        location.Name = LocationRules.Locations.Of(id);
        location.State = location.State == LocationState.Unspecified ? LocationState.Active : location.State;
        location.CreateTime = now;
        location.UpdateTime = now;
        await CheckParentAsync(location.Name, location.Facility, location.ParentLocation, ct);
        return await locations.CreateAsync(id, location, requestId, ct, token => GroupsAsync(id, null, location, token));
    }

    /// <summary>Applies the fields of <paramref name="change"/> named by <paramref name="mask"/>.</summary>
    public async Task<Location> UpdateAsync(Location change, FieldMask? mask, CancellationToken ct)
    {
        var id = LocationRules.Locations.IdOf(change.Name, "location.name");
        if (mask?.Paths.Contains("state") == true && change.State == LocationState.Inactive
            && (await stock.BalancesAsync(change.Name, ct)).FirstOrDefault(b => b.OnHand?.ToDecimal() > 0) is { } held)
        {
            throw ResourceErrors.FailedPrecondition($"{change.Name} still holds {held.OnHand.Display()} of {held.Item}; move or consume it before making the location inactive");
        }

        if (mask?.Paths.Contains("parent_location") == true && change.ParentLocation.Length > 0)
        {
            // The facility cannot be updated, so the one read here is the one the update keeps.
            var current = await locations.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(change.Name);
            await CheckParentAsync(current.Name, current.Facility, change.ParentLocation, ct);
        }

        return await StandardMethods.UpdateAsync(locations, id, change, mask, LocationRules.UpdatablePaths, updated =>
        {
            LocationRules.Validate(updated);
            updated.UpdateTime = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        }, ct, async (updated, token) =>
            // The stored location read here is the one the update replaces: had it changed since, its ETag fails the write.
            mask?.Paths.Any(p => p is "parent_location" or "cost_center") == true ? await GroupsAsync(id, await locations.GetAsync(id, token), updated, token) : []);
    }

    /// <summary>Deletes the location <paramref name="name"/>: FAILED_PRECONDITION while it has children or once it has held stock.</summary>
    public async Task DeleteAsync(string name, string etag, CancellationToken ct)
    {
        var id = LocationRules.Locations.IdOf(name, "name");
        if (await byParent.FirstReferringAsync(name, ct) is { } child)
        {
            throw ResourceErrors.FailedPrecondition($"{name} has the child location {child.Name}; move or delete it first, or make {name} inactive");
        }

        if ((await stock.BalancesAsync(name, ct)).Count > 0 || await stock.HasMovementsAsync(name, ct))
        {
            throw ResourceErrors.FailedPrecondition($"{name} has held stock (inventory keeps its balances or movements); make it inactive instead");
        }

        await StandardMethods.DeleteAsync(locations, id, name, etag, ct, (stored, token) => GroupsAsync(id, stored, null, token));
    }

    /// <summary>The first location charged to the cost center <paramref name="costCenter"/>, or null: reads only its group.</summary>
    public Task<Location?> FirstChargedToAsync(string costCenter, CancellationToken ct) => byCostCenter.FirstReferringAsync(costCenter, ct);

    // Moves the location from the groups of what was stored (null on create) to those of what is written (null on delete).
    private async Task<IEnumerable<StateTransactionRequest>> GroupsAsync(string id, Location? stored, Location? written, CancellationToken ct) =>
        [.. await byParent.TrackAsync(id, stored, written, ct), .. await byCostCenter.TrackAsync(id, stored, written, ct)];

    // Reads the parent and its ancestors, up to the root or to the first one seen twice, for the rules to judge.
    private async Task CheckParentAsync(string name, string facility, string parentName, CancellationToken ct)
    {
        if (parentName.Length == 0)
        {
            return;
        }

        var parent = await locations.GetAsync(LocationRules.Locations.IdOf(parentName, "location.parent_location"), ct)
            ?? throw ResourceErrors.Invalid($"location.parent_location {parentName} does not exist");
        var ancestors = new List<Location>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { name, parent.Name };
        for (var next = parent; next.ParentLocation.Length > 0;)
        {
            if (await locations.GetAsync(LocationRules.Locations.IdOf(next.ParentLocation, "parent_location"), ct) is not { } up)
            {
                break;
            }

            ancestors.Add(up);
            if (!seen.Add(up.Name))
            {
                break;
            }

            next = up;
        }

        LocationRules.CheckParent(name, facility, parent, ancestors);
    }
}
