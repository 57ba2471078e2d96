using Dapr.Client;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Testing;
using Mesh.Testing.Apps;

namespace Mesh.MasterData.Tests;

/// <summary>
/// Real Redis, the embedded runtime's sidecars, and the master data app hosted through its own Program, with
/// inventory, which master data asks before a location holding stock is made inactive or deleted; the tests call
/// them as other services will, by gRPC through a caller's sidecar.
/// </summary>
public sealed class MasterDataFixture : IAsyncLifetime
{
    private TestMesh mesh = null!;

    public ItemService.ItemServiceClient Items { get; private set; } = null!;

    public LocationService.LocationServiceClient Locations { get; private set; } = null!;

    public CostCenterService.CostCenterServiceClient CostCenters { get; private set; } = null!;

    public SupplierService.SupplierServiceClient Suppliers { get; private set; } = null!;

    public InventoryService.InventoryServiceClient Inventory { get; private set; } = null!;

    /// <summary>The master data app's contract events (topic "masterdata.events"), once its outbox settled.</summary>
    public Task<List<System.Text.Json.Nodes.JsonObject>> EventsAsync() => OutboxEvents.SettledAsync(mesh, "masterdata");

    public async Task InitializeAsync()
    {
        mesh = await TestMesh.StartAsync(InventoryToChargeApps.MasterData(), InventoryToChargeApps.Inventory(), TestApp.Client("caller"));
        var masterData = DaprClient.CreateInvocationInvoker("masterdata", mesh.GrpcEndpointOf("caller"));
        Items = new ItemService.ItemServiceClient(masterData);
        Locations = new LocationService.LocationServiceClient(masterData);
        CostCenters = new CostCenterService.CostCenterServiceClient(masterData);
        Suppliers = new SupplierService.SupplierServiceClient(masterData);
        Inventory = new InventoryService.InventoryServiceClient(DaprClient.CreateInvocationInvoker("inventory", mesh.GrpcEndpointOf("caller")));
    }

    public async Task DisposeAsync() => await mesh.DisposeAsync();
}
