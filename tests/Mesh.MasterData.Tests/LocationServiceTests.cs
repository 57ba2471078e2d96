using Mesh.Contracts.Type.V1;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;

namespace Mesh.MasterData.Tests;

public sealed class LocationServiceTests(MasterDataFixture fixture) : IClassFixture<MasterDataFixture>
{
    private LocationService.LocationServiceClient Locations => fixture.Locations;

    // Each test works in a facility of its own, so the list filters see only its locations.
    private static string NewFacility() => $"fac-{Guid.NewGuid():N}"[..12];

    private static Location Place(string facility, LocationType type = LocationType.OperatingRoom, string parent = "", string costCenter = "costCenters/1000-4010") => new()
    {
        DisplayName = "Main OR 3 supply core",
        Type = type,
        Facility = facility,
        ParentLocation = parent,
        CostCenter = costCenter,
    };

    private async Task<Location> CreateAsync(Location location, string id = "", string requestId = "") =>
        await Locations.CreateLocationAsync(new CreateLocationRequest { Location = location, LocationId = id, RequestId = requestId });

    private async Task<RpcException> RefusedAsync<T>(Func<AsyncUnaryCall<T>> call) => await Assert.ThrowsAsync<RpcException>(() => call().ResponseAsync);

    private async Task<List<Location>> ListAllAsync(ListLocationsRequest filter)
    {
        var (locations, _) = await Pages.AllAsync<Location>(async token =>
        {
            var page = await Locations.ListLocationsAsync(new ListLocationsRequest(filter) { PageToken = token });
            return (page.Locations, page.NextPageToken);
        });
        return locations;
    }

    [Fact]
    public async Task CreateGetUpdateDelete_ThroughTheSidecar()
    {
        var id = $"or3-{Guid.NewGuid():N}"[..16];
        var facility = NewFacility();

        var created = await CreateAsync(Place(facility), id);
        var read = await Locations.GetLocationAsync(new GetLocationRequest { Name = created.Name });
        var updated = await Locations.UpdateLocationAsync(new UpdateLocationRequest
        {
            Location = new Location { Name = created.Name, Etag = read.Etag, DisplayName = "Main OR 3 core", State = LocationState.Inactive, Facility = "ignored" },
            UpdateMask = new FieldMask { Paths = { "display_name", "state" } },
        });
        var stale = await RefusedAsync(() => Locations.UpdateLocationAsync(new UpdateLocationRequest
        {
            Location = new Location { Name = created.Name, Etag = read.Etag, DisplayName = "lost update" },
            UpdateMask = new FieldMask { Paths = { "display_name" } },
        }));
        var staleDelete = await RefusedAsync(() => Locations.DeleteLocationAsync(new DeleteLocationRequest { Name = created.Name, Etag = read.Etag }));
        await Locations.DeleteLocationAsync(new DeleteLocationRequest { Name = created.Name, Etag = updated.Etag });
        var gone = await RefusedAsync(() => Locations.GetLocationAsync(new GetLocationRequest { Name = created.Name }));

        Assert.Equal($"locations/{id}", created.Name);
        Assert.Equal(LocationState.Active, created.State);
        Assert.NotNull(created.CreateTime);
        Assert.Equal(created.CreateTime, created.UpdateTime);
        Assert.Equal(created.Name, read.Name);
        Assert.Equal("Main OR 3 core", updated.DisplayName);
        Assert.Equal(LocationState.Inactive, updated.State);
        Assert.Equal(facility, updated.Facility);
        Assert.Equal("costCenters/1000-4010", updated.CostCenter);
        Assert.Equal(created.CreateTime, updated.CreateTime);
        Assert.NotEqual(read.Etag, updated.Etag);
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);
        Assert.Equal(StatusCode.Aborted, staleDelete.StatusCode);
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Create_SameRequestIdTwice_CreatesOnce()
    {
        var facility = NewFacility();
        var requestId = Guid.NewGuid().ToString();

        // No location_id: without the request id the retry would get a second generated name.
        var first = await CreateAsync(Place(facility), requestId: requestId);
        var retry = await CreateAsync(Place(facility), requestId: requestId);
        var inFacility = await ListAllAsync(new ListLocationsRequest { Facility = facility });

        Assert.Equal(first.Name, retry.Name);
        Assert.Equal(first.CreateTime, retry.CreateTime);
        Assert.Equal(first.Name, Assert.Single(inFacility).Name);
    }

    [Fact]
    public async Task BadInput_NamesTheField()
    {
        var facility = NewFacility();
        var existing = await CreateAsync(Place(facility));

        var noName = await RefusedAsync(() => Locations.CreateLocationAsync(new CreateLocationRequest { Location = new Location(Place(facility)) { DisplayName = " " } }));
        var noType = await RefusedAsync(() => Locations.CreateLocationAsync(new CreateLocationRequest { Location = Place(facility, LocationType.Unspecified) }));
        var noFacility = await RefusedAsync(() => Locations.CreateLocationAsync(new CreateLocationRequest { Location = Place("") }));
        var badParent = await RefusedAsync(() => Locations.CreateLocationAsync(new CreateLocationRequest { Location = Place(facility, parent: "rooms/or-3") }));
        var badCostCenter = await RefusedAsync(() => Locations.CreateLocationAsync(new CreateLocationRequest { Location = Place(facility, costCenter: "cost-centers/4010") }));
        var badId = await RefusedAsync(() => Locations.CreateLocationAsync(new CreateLocationRequest { Location = Place(facility), LocationId = "Main OR" }));
        var facilityMask = await RefusedAsync(() => Locations.UpdateLocationAsync(new UpdateLocationRequest
        {
            Location = new Location { Name = existing.Name, Facility = "OTHER" },
            UpdateMask = new FieldMask { Paths = { "facility" } },
        }));
        var badFilter = await RefusedAsync(() => Locations.ListLocationsAsync(new ListLocationsRequest { CostCenter = "4010" }));

        Assert.All([noName, noType, noFacility, badParent, badCostCenter, badId, facilityMask, badFilter], e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        Assert.Contains("location.display_name", noName.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("location.type", noType.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("location.facility", noFacility.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("location.parent_location", badParent.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("locations/{id}", badParent.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("location.cost_center", badCostCenter.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("costCenters/{id}", badCostCenter.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("location_id", badId.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("'facility'", facilityMask.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("cost_center", badFilter.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(facility, (await Locations.GetLocationAsync(new GetLocationRequest { Name = existing.Name })).Facility);
    }

    [Fact]
    public async Task Tree_ParentInTheSameFacility_NoCycles_NoOrphans()
    {
        var facility = NewFacility();
        var storeroom = await CreateAsync(Place(facility, LocationType.Storeroom));
        var cabinet = await CreateAsync(Place(facility, LocationType.Cabinet, parent: storeroom.Name));
        var elsewhere = await CreateAsync(Place(NewFacility(), LocationType.Storeroom));

        var otherFacility = await RefusedAsync(() => Locations.CreateLocationAsync(new CreateLocationRequest { Location = Place(facility, parent: elsewhere.Name) }));
        var missingParent = await RefusedAsync(() => Locations.CreateLocationAsync(new CreateLocationRequest { Location = Place(facility, parent: "locations/nowhere") }));
        var cycle = await RefusedAsync(() => Locations.UpdateLocationAsync(new UpdateLocationRequest
        {
            Location = new Location { Name = storeroom.Name, ParentLocation = cabinet.Name },
            UpdateMask = new FieldMask { Paths = { "parent_location" } },
        }));
        var ownParent = await RefusedAsync(() => Locations.UpdateLocationAsync(new UpdateLocationRequest
        {
            Location = new Location { Name = cabinet.Name, ParentLocation = cabinet.Name },
            UpdateMask = new FieldMask { Paths = { "parent_location" } },
        }));
        var withChild = await RefusedAsync(() => Locations.DeleteLocationAsync(new DeleteLocationRequest { Name = storeroom.Name }));
        var moved = await Locations.UpdateLocationAsync(new UpdateLocationRequest
        {
            Location = new Location { Name = cabinet.Name, ParentLocation = "" },
            UpdateMask = new FieldMask { Paths = { "parent_location" } },
        });
        await Locations.DeleteLocationAsync(new DeleteLocationRequest { Name = storeroom.Name });

        Assert.All([otherFacility, missingParent, cycle, ownParent], e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        Assert.All([otherFacility, missingParent, cycle, ownParent], e => Assert.Contains("location.parent_location", e.Status.Detail, StringComparison.Ordinal));
        Assert.Contains("facility", otherFacility.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("does not exist", missingParent.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("cycle", cycle.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("cycle", ownParent.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.FailedPrecondition, withChild.StatusCode);
        Assert.Contains(cabinet.Name, withChild.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("", moved.ParentLocation);
        Assert.Equal([cabinet.Name], (await ListAllAsync(new ListLocationsRequest { Facility = facility })).Select(l => l.Name));
    }

    [Fact]
    public async Task ALocationWithStock_IsNotMadeInactiveOrDeleted_OnceEmptyItIsMadeInactive_ButNotDeleted()
    {
        var storeroom = await CreateAsync(Place(NewFacility(), LocationType.Storeroom));
        Task<StockMovement> AdjustAsync(decimal delta) => fixture.Inventory.CreateStockMovementAsync(new CreateStockMovementRequest
        {
            Parent = storeroom.Name,
            StockMovement = new StockMovement { Type = StockMovementType.Adjustment, Item = "items/gauze-4x4", Location = storeroom.Name, Delta = Quantity.Of(delta, "EA") },
        }).ResponseAsync;
        UpdateLocationRequest Deactivate() => new() { Location = new Location { Name = storeroom.Name, State = LocationState.Inactive }, UpdateMask = new FieldMask { Paths = { "state" } } };
        await AdjustAsync(12);

        var holding = await RefusedAsync(() => Locations.UpdateLocationAsync(Deactivate()));
        var deleteHolding = await RefusedAsync(() => Locations.DeleteLocationAsync(new DeleteLocationRequest { Name = storeroom.Name }));
        await AdjustAsync(-12);
        var inactive = await Locations.UpdateLocationAsync(Deactivate());
        var deleteEmptied = await RefusedAsync(() => Locations.DeleteLocationAsync(new DeleteLocationRequest { Name = storeroom.Name }));

        Assert.Equal(
            (StatusCode.FailedPrecondition, $"{storeroom.Name} still holds 12 EA of items/gauze-4x4; move or consume it before making the location inactive"),
            (holding.StatusCode, holding.Status.Detail));
        Assert.Equal(StatusCode.FailedPrecondition, deleteHolding.StatusCode);
        Assert.Equal(LocationState.Inactive, inactive.State);
        Assert.Equal(
            (StatusCode.FailedPrecondition, $"{storeroom.Name} has held stock (inventory keeps its balances or movements); make it inactive instead"),
            (deleteEmptied.StatusCode, deleteEmptied.Status.Detail));
    }

    [Fact]
    public async Task ListLocations_FiltersAndPages()
    {
        var facility = NewFacility();
        var storeroom = await CreateAsync(Place(facility, LocationType.Storeroom, costCenter: "costCenters/1000-4090"));
        var cabinets = new List<Location>();
        for (var i = 0; i < 5; i++)
        {
            cabinets.Add(await CreateAsync(new Location(Place(facility, LocationType.Cabinet, storeroom.Name, i < 3 ? "costCenters/1000-4010" : "costCenters/1000-4020"))
            {
                State = i == 0 ? LocationState.Inactive : LocationState.Unspecified,
            }));
        }

        await CreateAsync(Place(NewFacility(), LocationType.Cabinet));

        var (allCabinets, pages) = await Pages.AllAsync<Location>(async token =>
        {
            var page = await Locations.ListLocationsAsync(new ListLocationsRequest { Facility = facility, Type = LocationType.Cabinet, PageSize = 2, PageToken = token });
            return (page.Locations, page.NextPageToken);
        });
        var children = await ListAllAsync(new ListLocationsRequest { ParentLocation = storeroom.Name, PageSize = 2 });
        var onCostCenter = await ListAllAsync(new ListLocationsRequest { Facility = facility, CostCenter = "costCenters/1000-4010", PageSize = 2 });
        var inactive = await ListAllAsync(new ListLocationsRequest { Facility = facility, State = LocationState.Inactive });
        var storerooms = await ListAllAsync(new ListLocationsRequest { Facility = facility, Type = LocationType.Storeroom });

        Assert.Equal(cabinets.Select(c => c.Name).Order(), allCabinets.Select(c => c.Name).Order());
        Assert.True(pages >= 3, $"5 cabinets at 2 a page came in {pages} page(s)");
        Assert.Equal(cabinets.Select(c => c.Name).Order(), children.Select(c => c.Name).Order());
        Assert.Equal(cabinets.Take(3).Select(c => c.Name).Order(), onCostCenter.Select(c => c.Name).Order());
        Assert.Equal([cabinets[0].Name], inactive.Select(c => c.Name));
        Assert.Equal([storeroom.Name], storerooms.Select(c => c.Name));
    }
}
