using Dapr.Client;
using Mesh.Contracts.Contracting.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Testing;
using Mesh.Testing.Apps;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.MasterData.Tests;

/// <summary>
/// Real Redis, the embedded runtime's sidecars and the master data app on a clock the tests move
/// (<see cref="Clock"/>, a FakeTimeProvider), so contracts expire when a test says, never by waiting; the tests call
/// the contract service as the saga will, by gRPC through a caller's sidecar.
/// </summary>
public sealed class ContractFixture : IAsyncLifetime
{
    private TestMesh mesh = null!;

    /// <summary>Master data's clock.</summary>
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2030, 3, 1, 8, 0, 0, TimeSpan.Zero));

    public ContractService.ContractServiceClient Contracts { get; private set; } = null!;

    public ItemService.ItemServiceClient Items { get; private set; } = null!;

    public SupplierService.SupplierServiceClient Suppliers { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        mesh = await TestMesh.StartAsync(
            InventoryToChargeApps.MasterData(web => web.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock))),
            TestApp.Client("caller"));
        var masterData = DaprClient.CreateInvocationInvoker("masterdata", mesh.GrpcEndpointOf("caller"));
        Contracts = new ContractService.ContractServiceClient(masterData);
        Items = new ItemService.ItemServiceClient(masterData);
        Suppliers = new SupplierService.SupplierServiceClient(masterData);
    }

    public async Task DisposeAsync() => await mesh.DisposeAsync();
}
