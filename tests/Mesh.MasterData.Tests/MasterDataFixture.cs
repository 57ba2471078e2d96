using Mesh.Testing.Apps;
using Mesh.Contracts.Inventory.V1;
using Dapr.Client;
using Mesh.Contracts.MasterData.V1;
using Mesh.Testing;
using Microsoft.Extensions.Hosting;

namespace Mesh.MasterData.Tests;

/// <summary>
/// Real Redis, the embedded runtime's sidecars for "masterdata" and a caller, and the master data app wired as
/// Program.cs wires it; the tests call it as other services will, by gRPC through the caller's sidecar.
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
        mesh = await TestMesh.StartAsync();
        await InventoryToChargeApps.StartMasterDataAsync(mesh);
        // Inventory, which master data asks before a location holding stock is made inactive or deleted.
        await InventoryToChargeApps.StartInventoryAsync(mesh);
        var caller = await mesh.StartSidecarAsync("caller");
        var masterData = DaprClient.CreateInvocationInvoker("masterdata", $"http://127.0.0.1:{caller.GrpcPort}");
        Items = new ItemService.ItemServiceClient(masterData);
        Locations = new LocationService.LocationServiceClient(masterData);
        CostCenters = new CostCenterService.CostCenterServiceClient(masterData);
        Suppliers = new SupplierService.SupplierServiceClient(masterData);
        Inventory = new InventoryService.InventoryServiceClient(DaprClient.CreateInvocationInvoker("inventory", $"http://127.0.0.1:{caller.GrpcPort}"));
    }

    public async Task DisposeAsync() => await mesh.DisposeAsync();
}
