using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.MasterData.Domain;
using Mesh.Resources;

namespace Mesh.MasterData.Grpc;

/// <summary>mesh.masterdata.v1.LocationService: maps requests to the <see cref="LocationMaster"/>; reads and lists come straight from the store.</summary>
public sealed class LocationApi(ResourceStore<Location> locations, LocationMaster master) : LocationService.LocationServiceBase
{
    /// <inheritdoc />
    public override async Task<Location> GetLocation(GetLocationRequest request, ServerCallContext context) =>
        await locations.GetAsync(LocationRules.Locations.IdOf(request.Name, "name"), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);

    /// <inheritdoc />
    public override async Task<ListLocationsResponse> ListLocations(ListLocationsRequest request, ServerCallContext context)
    {
        LocationRules.ValidateReferences(request.ParentLocation, request.CostCenter, "");
        var ct = context.CancellationToken;
        var (page, next) = await Paging.PageAsync(await locations.IdsAsync(ct), request.PageSize, request.PageToken, ids => locations.GetManyAsync(ids, ct), location => Matches(location, request));
        return new ListLocationsResponse { Locations = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override Task<Location> CreateLocation(CreateLocationRequest request, ServerCallContext context) =>
        master.CreateAsync(request.Location ?? throw ResourceErrors.Invalid("location is required"), request.LocationId, request.RequestId, context.CancellationToken);

    /// <inheritdoc />
    public override Task<Location> UpdateLocation(UpdateLocationRequest request, ServerCallContext context) =>
        master.UpdateAsync(request.Location ?? throw ResourceErrors.Invalid("location is required"), request.UpdateMask, context.CancellationToken);

    /// <inheritdoc />
    public override async Task<Empty> DeleteLocation(DeleteLocationRequest request, ServerCallContext context)
    {
        await master.DeleteAsync(request.Name, request.Etag, context.CancellationToken);
        return new Empty();
    }

    private static bool Matches(Location location, ListLocationsRequest filter) =>
        (filter.State == LocationState.Unspecified || location.State == filter.State)
        && (filter.Type == LocationType.Unspecified || location.Type == filter.Type)
        && (filter.Facility.Length == 0 || location.Facility == filter.Facility)
        && (filter.ParentLocation.Length == 0 || location.ParentLocation == filter.ParentLocation)
        && (filter.CostCenter.Length == 0 || location.CostCenter == filter.CostCenter);
}
