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

    public async Task InitializeAsync()
    {
        mesh = await TestMesh.StartAsync(InventoryToChargeApps.MasterData(), InventoryToChargeApps.Charges(), TestApp.Client("caller"));
        var endpoint = mesh.GrpcEndpointOf("caller");
        Items = new ItemService.ItemServiceClient(DaprClient.CreateInvocationInvoker("masterdata", endpoint));
        Charges = new ChargeService.ChargeServiceClient(DaprClient.CreateInvocationInvoker("charges", endpoint));
    }

    public async Task DisposeAsync() => await mesh.DisposeAsync();
}
