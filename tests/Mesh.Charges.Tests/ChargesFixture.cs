using Dapr.Client;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Testing;
using Mesh.Testing.Apps;
using Microsoft.Extensions.Hosting;

namespace Mesh.Charges.Tests;

/// <summary>
/// Real Redis, the embedded runtime's sidecars, the master data app and the charges app wired as their Program.cs
/// wire them; charges reads items from master data through its own sidecar, and the tests call both apps by gRPC
/// through a caller's sidecar.
/// </summary>
public sealed class ChargesFixture : IAsyncLifetime
{
    private TestMesh mesh = null!;

    public ItemService.ItemServiceClient Items { get; private set; } = null!;

    public ChargeService.ChargeServiceClient Charges { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        mesh = await TestMesh.StartAsync();
        await InventoryToChargeApps.StartMasterDataAsync(mesh);
        await InventoryToChargeApps.StartServiceAsync(mesh, "charges", b => b.AddCharges(), app => app.MapChargesApi());
        var caller = await mesh.StartSidecarAsync("caller");
        var endpoint = $"http://127.0.0.1:{caller.GrpcPort}";
        Items = new ItemService.ItemServiceClient(DaprClient.CreateInvocationInvoker("masterdata", endpoint));
        Charges = new ChargeService.ChargeServiceClient(DaprClient.CreateInvocationInvoker("charges", endpoint));
    }

    public async Task DisposeAsync() => await mesh.DisposeAsync();
}
