using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;

namespace Mesh.MasterData.Grpc;

/// <summary>
/// mesh.masterdata.v1.LocationService: the places supplies are received, stored and used (AIP standard methods
/// with ETags and request ids), kept as a tree within each facility.
/// </summary>
public sealed class LocationApi(ResourceStore<Location> locations, InventoryService.InventoryServiceClient inventory) : LocationService.LocationServiceBase
{
    private static readonly ResourceName Locations = new("locations");
    private static readonly ResourceName CostCenters = new("costCenters");

    private static readonly HashSet<string> UpdatablePaths = new(StringComparer.Ordinal)
    {
        "display_name", "type", "parent_location", "cost_center", "external_ids", "state",
    };

    /// <inheritdoc />
    public override async Task<Location> GetLocation(GetLocationRequest request, ServerCallContext context) =>
        await locations.GetAsync(Locations.IdOf(request.Name, "name"), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);

    /// <inheritdoc />
    public override async Task<ListLocationsResponse> ListLocations(ListLocationsRequest request, ServerCallContext context)
    {
        ValidateNames(request.ParentLocation, request.CostCenter, "");
        var ct = context.CancellationToken;
        var (page, next) = await Paging.PageAsync(await locations.IdsAsync(ct), request.PageSize, request.PageToken, ids => locations.GetManyAsync(ids, ct), location => Matches(location, request));
        return new ListLocationsResponse { Locations = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override async Task<Location> CreateLocation(CreateLocationRequest request, ServerCallContext context)
    {
        var location = request.Location?.Clone() ?? throw ResourceErrors.Invalid("location is required");
        Validate(location);
        var id = ResourceName.NewId(request.LocationId, "location_id");
        var now = Timestamp.FromDateTime(DateTime.UtcNow);
        location.Name = Locations.Of(id);
        location.State = location.State == LocationState.Unspecified ? LocationState.Active : location.State;
        location.CreateTime = now;
        location.UpdateTime = now;
        await CheckParentAsync(location.Name, location.Facility, location.ParentLocation, context.CancellationToken);
        return await locations.CreateAsync(id, location, request.RequestId, context.CancellationToken);
    }

    /// <inheritdoc />
    public override async Task<Location> UpdateLocation(UpdateLocationRequest request, ServerCallContext context)
    {
        var change = request.Location ?? throw ResourceErrors.Invalid("location is required");
        var id = Locations.IdOf(change.Name, "location.name");
        if (request.UpdateMask?.Paths.Contains("state") == true && change.State == LocationState.Inactive)
        {
            await EnsureNoStockOnHandAsync(change.Name, context.CancellationToken);
        }

        if (request.UpdateMask?.Paths.Contains("parent_location") == true && change.ParentLocation.Length > 0)
        {
            // The facility cannot be updated, so the one read here is the one the update keeps.
            var current = await locations.GetAsync(id, context.CancellationToken) ?? throw ResourceErrors.NotFound(change.Name);
            await CheckParentAsync(current.Name, current.Facility, change.ParentLocation, context.CancellationToken);
        }

        return await StandardMethods.UpdateAsync(locations, id, change, request.UpdateMask, UpdatablePaths, updated =>
        {
            Validate(updated);
            updated.UpdateTime = Timestamp.FromDateTime(DateTime.UtcNow);
        }, context.CancellationToken);
    }

    /// <inheritdoc />
    public override async Task<Empty> DeleteLocation(DeleteLocationRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var id = Locations.IdOf(request.Name, "name");
        if ((await locations.AllAsync(ct)).FirstOrDefault(l => l.ParentLocation == request.Name) is { } child)
        {
            throw ResourceErrors.FailedPrecondition($"{request.Name} has the child location {child.Name}; move or delete it first, or make {request.Name} inactive");
        }

        if ((await BalancesAsync(request.Name, ct)).Count > 0
            || (await AskInventoryAsync(request.Name, () => inventory.ListStockMovementsAsync(new ListStockMovementsRequest { Parent = request.Name, PageSize = 1 }, cancellationToken: ct).ResponseAsync)).StockMovements.Count > 0)
        {
            throw ResourceErrors.FailedPrecondition($"{request.Name} has held stock (inventory keeps its balances or movements); make it inactive instead");
        }

        await StandardMethods.DeleteAsync(locations, id, request.Name, request.Etag, ct);
        return new Empty();
    }

    // Inventory keeps the balances. Checked before the change, not locked against it: stock received in between
    // is the receiving team's to move.
    private async Task EnsureNoStockOnHandAsync(string name, CancellationToken ct)
    {
        if ((await BalancesAsync(name, ct)).FirstOrDefault(b => b.OnHand?.ToDecimal() > 0) is { } held)
        {
            throw ResourceErrors.FailedPrecondition($"{name} still holds {held.OnHand.Display()} of {held.Item}; move or consume it before making the location inactive");
        }
    }

    private async Task<List<InventoryBalance>> BalancesAsync(string name, CancellationToken ct) =>
        (await Pages.AllAsync<InventoryBalance>(async token =>
        {
            var page = await AskInventoryAsync(name, () => inventory.ListInventoryBalancesAsync(new ListInventoryBalancesRequest { Parent = name, PageToken = token }, cancellationToken: ct).ResponseAsync);
            return (page.InventoryBalances, page.NextPageToken);
        })).Items;

    private static async Task<T> AskInventoryAsync<T>(string name, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException e)
        {
            throw ResourceErrors.DependencyFailed($"inventory could not confirm that {name} holds no stock", e);
        }
    }

    // A parent must exist in the same facility, and walking up from it must not lead back to the location itself.
    private async Task CheckParentAsync(string name, string facility, string parentName, CancellationToken ct)
    {
        if (parentName.Length == 0)
        {
            return;
        }

        var parent = await locations.GetAsync(Locations.IdOf(parentName, "location.parent_location"), ct)
            ?? throw ResourceErrors.Invalid($"location.parent_location {parentName} does not exist");
        if (parent.Facility != facility)
        {
            throw ResourceErrors.Invalid($"location.parent_location {parentName} is in facility '{parent.Facility}', not '{facility}'");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal) { name };
        for (var ancestor = parent; ;)
        {
            if (!seen.Add(ancestor.Name))
            {
                throw ResourceErrors.Invalid($"location.parent_location {parentName} would make a cycle of locations");
            }

            if (ancestor.ParentLocation.Length == 0 || await locations.GetAsync(Locations.IdOf(ancestor.ParentLocation, "parent_location"), ct) is not { } next)
            {
                return;
            }

            ancestor = next;
        }
    }

    private static bool Matches(Location location, ListLocationsRequest filter) =>
        (filter.State == LocationState.Unspecified || location.State == filter.State)
        && (filter.Type == LocationType.Unspecified || location.Type == filter.Type)
        && (filter.Facility.Length == 0 || location.Facility == filter.Facility)
        && (filter.ParentLocation.Length == 0 || location.ParentLocation == filter.ParentLocation)
        && (filter.CostCenter.Length == 0 || location.CostCenter == filter.CostCenter);

    private static void Validate(Location location)
    {
        if (string.IsNullOrWhiteSpace(location.DisplayName))
        {
            throw ResourceErrors.Invalid("location.display_name is required");
        }

        if (location.Type == LocationType.Unspecified || !System.Enum.IsDefined(location.Type))
        {
            throw ResourceErrors.Invalid("location.type is required (e.g. LOCATION_TYPE_STOREROOM)");
        }

        if (string.IsNullOrWhiteSpace(location.Facility))
        {
            throw ResourceErrors.Invalid("location.facility is required (the facility code, e.g. MAIN)");
        }

        ValidateNames(location.ParentLocation, location.CostCenter, "location.");
    }

    // References are optional, but when set they must be names of their collection.
    private static void ValidateNames(string parentLocation, string costCenter, string prefix)
    {
        if (parentLocation.Length > 0)
        {
            Locations.IdOf(parentLocation, prefix + "parent_location");
        }

        if (costCenter.Length > 0)
        {
            CostCenters.IdOf(costCenter, prefix + "cost_center");
        }
    }
}
