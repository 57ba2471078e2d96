using Dapr.Client;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Testing;
using Mesh.Testing.Apps;

namespace Mesh.Charges.Tests;

/// <summary>
/// Real Redis, the embedded runtime's sidecars, and the master data and charges apps hosted through their own
/// Program; charges reads items from master data through its own sidecar, and the tests call both apps by gRPC
/// through a caller's sidecar.
/// </summary>
public sealed class ChargesFixture : IAsyncLifetime
{
    private TestMesh mesh = null!;

    public ItemService.ItemServiceClient Items { get; private set; } = null!;

    public ChargeService.ChargeServiceClient Charges { get; private set; } = null!;

    /// <summary>A Dapr client through the charges app's own sidecar, for its domain classes used without its gRPC service.</summary>
    public DaprClient ChargesDapr { get; private set; } = null!;

    /// <summary>The charges app's contract events (topic "charges.events"), once its outbox settled.</summary>
    public Task<List<System.Text.Json.Nodes.JsonObject>> EventsAsync() => OutboxEvents.SettledAsync(mesh, "charges");

    public async Task InitializeAsync()
    {
        mesh = await TestMesh.StartAsync(InventoryToChargeApps.MasterData(), InventoryToChargeApps.Charges(), TestApp.Client("caller"));
        var endpoint = mesh.GrpcEndpointOf("caller");
        Items = new ItemService.ItemServiceClient(DaprClient.CreateInvocationInvoker("masterdata", endpoint));
        Charges = new ChargeService.ChargeServiceClient(DaprClient.CreateInvocationInvoker("charges", endpoint));
        // The charges app's own sidecar, used as the app uses it: with its DAPR_API_TOKEN.
        ChargesDapr = new DaprClientBuilder().UseGrpcEndpoint(mesh.GrpcEndpointOf("charges")).UseDaprApiToken(mesh.SidecarOf("charges").ApiToken).Build();
    }

    public async Task DisposeAsync()
    {
        ChargesDapr.Dispose();
        await mesh.DisposeAsync();
    }
}
