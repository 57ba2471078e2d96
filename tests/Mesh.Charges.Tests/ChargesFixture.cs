using Dapr.Client;
using Grpc.Core;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
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

    /// <summary>Calls to the master data app through the caller's sidecar.</summary>
    public CallInvoker MasterData { get; private set; } = null!;

    public ItemService.ItemServiceClient Items { get; private set; } = null!;

    public ChargeService.ChargeServiceClient Charges { get; private set; } = null!;

    /// <summary>A Dapr client through the charges app's own sidecar, for its domain classes used without its gRPC service.</summary>
    public DaprClient ChargesDapr { get; private set; } = null!;

    /// <summary>The charges app's contract events (topic "charges.events"), once its outbox settled.</summary>
    public Task<List<System.Text.Json.Nodes.JsonObject>> EventsAsync() => OutboxEvents.SettledAsync(mesh, "charges");

    /// <summary>Creates a suture item in master data, chargeable at <paramref name="price"/> unless told otherwise.</summary>
    public async Task<Item> CreateItemAsync(Money? price, bool chargeable = true, string? id = null) =>
        await Items.CreateItemAsync(new CreateItemRequest
        {
            ItemId = id ?? $"item-{Guid.NewGuid():N}"[..21],
            Item = new Item
            {
                Description = "Suture 3-0 nylon, 18 in, FS-1 needle",
                StockingUnit = "EA",
                Chargeable = chargeable,
                ChargeCode = chargeable ? "272-1001" : "",
                HcpcsCode = "A4649",
                RevenueCode = "0272",
                ChargePrice = price,
            },
        });

    public async Task InitializeAsync()
    {
        mesh = await TestMesh.StartAsync(InventoryToChargeApps.MasterData(), InventoryToChargeApps.Charges(), TestApp.Client("caller"));
        var endpoint = mesh.GrpcEndpointOf("caller");
        MasterData = DaprClient.CreateInvocationInvoker("masterdata", endpoint);
        Items = new ItemService.ItemServiceClient(MasterData);
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
