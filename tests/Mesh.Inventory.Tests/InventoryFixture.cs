using Dapr.Client;
using Mesh.Contracts.Inventory.V1;
using Mesh.Testing;
using Mesh.Testing.Apps;

namespace Mesh.Inventory.Tests;

/// <summary>
/// Real Redis, the embedded runtime's sidecars for "inventory" and a caller, and the inventory app hosted through its
/// own Program; the tests call it as the saga does, by gRPC through the caller's sidecar.
/// </summary>
public sealed class InventoryFixture : IAsyncLifetime
{
    private TestMesh mesh = null!;

    public InventoryService.InventoryServiceClient Inventory { get; private set; } = null!;

    /// <summary>The inventory app's contract events (topic "inventory.events"), once its outbox settled.</summary>
    public Task<List<System.Text.Json.Nodes.JsonObject>> EventsAsync() => OutboxEvents.SettledAsync(mesh, "inventory");

    public async Task InitializeAsync()
    {
        mesh = await TestMesh.StartAsync(InventoryToChargeApps.Inventory(), TestApp.Client("caller"));
        Inventory = new InventoryService.InventoryServiceClient(DaprClient.CreateInvocationInvoker("inventory", mesh.GrpcEndpointOf("caller")));
    }

    public async Task DisposeAsync() => await mesh.DisposeAsync();
}
