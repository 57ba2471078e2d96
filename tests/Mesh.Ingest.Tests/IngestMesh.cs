using System.Net;
using Mesh.Contracts.Ingest.V1;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Contracts.Validation;
using Mesh.Ingest.Mllp;
using Mesh.Scenarios;
using Mesh.Testing;
using Mesh.Testing.Apps;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Ingest.Tests;

/// <summary>
/// The inventory-to-charge mesh on real parts (redis-server, a sidecar per app, the flow's apps hosted through their
/// own Program) with the ingest app beside them, its MLLP listener on a free loopback port. Tests act as
/// a clinical system (MLLP, FHIR, CSV) and as an operator (the ingest operator API, master data).
/// </summary>
public sealed class IngestMesh : IAsyncLifetime
{
    private TestMesh mesh = null!;

    /// <summary>Clients of the mesh through the clinic's sidecar.</summary>
    public MeshClients Clients { get; private set; } = null!;

    /// <summary>The scenario runner over <see cref="Clients"/>, for waiting on cases.</summary>
    public InventoryToChargeScenario Scenario { get; private set; } = null!;

    /// <summary>The MLLP listener's address.</summary>
    public IPEndPoint Mllp { get; private set; } = null!;

    /// <summary>The ingest app's HTTP API (FHIR, CSV upload), over HTTP/2.</summary>
    public HttpClient Http { get; private set; } = null!;

    /// <summary>The ingest operator API, straight to the app.</summary>
    public IngestService.IngestServiceClient Operator { get; private set; } = null!;

    /// <summary>The folder the ingest app watches for catalog and price files.</summary>
    public string Inbox { get; } = Directory.CreateTempSubdirectory("mesh-ingest-inbox-").FullName;

    /// <summary>Master data's suppliers, through the clinic's sidecar.</summary>
    public SupplierService.SupplierServiceClient Suppliers { get; private set; } = null!;

    /// <summary>The Redis behind the mesh.</summary>
    public RedisServer Redis => mesh.Redis;

    /// <summary>The CloudEvents published on <paramref name="topic"/> so far.</summary>
    public Task<List<System.Text.Json.Nodes.JsonNode>> PublishedAsync(string topic) => mesh.PublishedAsync(topic);

    public async Task InitializeAsync()
    {
        mesh = await TestMesh.StartAsync(
            [.. InventoryToChargeApps.Services(), InventoryToChargeApps.Workflows(), EdgeApps.Ingest(IngestSettings), TestApp.Client("clinic")]);
        Mllp = await mesh.ServicesOf("ingest").GetRequiredService<MllpListener>().EndpointAsync;
        var address = mesh.AddressOf("ingest");
        // The app port speaks HTTP/2 only (gRPC, as under `mesh run`); HTTP/1.1 clients use the app's second endpoint.
        // Straight to the app, as its sidecar calls it: with its APP_API_TOKEN.
        Http = new HttpClient { BaseAddress = address, DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        Http.DefaultRequestHeaders.Add("dapr-api-token", mesh.AppTokenOf("ingest"));

        // Operators reach the operator API through the mesh.
        Operator = new IngestService.IngestServiceClient(Dapr.Client.DaprClient.CreateInvocationInvoker("ingest", mesh.GrpcEndpointOf("clinic")));
        Clients = new MeshClients(mesh.GrpcEndpointOf("clinic"), mesh.HttpEndpointOf("clinic"));
        Scenario = new InventoryToChargeScenario(Clients);
        Suppliers = new SupplierService.SupplierServiceClient(Dapr.Client.DaprClient.CreateInvocationInvoker("masterdata", mesh.GrpcEndpointOf("clinic")));
    }

    // The MLLP listener on a port the OS picks, a short raw retention and lookup cache, and an inbox polled often.
    private Dictionary<string, string?> IngestSettings => new()
    {
        ["Ingest:Mllp:Port"] = "0",
        ["Ingest:RawRetention"] = "02:00:00",
        // Tests change master data between messages: a cached directory would hide the change for a moment.
        ["Ingest:LookupCacheTtl"] = "00:00:00",
        ["Ingest:Csv:InboxPath"] = Inbox,
        ["Ingest:Csv:PollInterval"] = "00:00:00.200",
    };

    private Task<Seeded>? shared;

    /// <summary>Master data seeded once for the tests that only need some valid codes.</summary>
    public Task<Seeded> SharedAsync() => shared ??= SeedAsync($"s{Guid.NewGuid():N}"[..8]);

    /// <summary>A connection to the MLLP listener.</summary>
    public Task<MllpClient> ConnectAsync() => MllpClient.ConnectAsync("127.0.0.1", Mllp.Port, CancellationToken.None);

    /// <summary>
    /// Master data and stock for one test: a cost center, an operating room carrying department code
    /// "OR-{run}", two billable items (charge codes "{run}-CDM1", "{run}-CDM2") and a floor-stock item with a GTIN,
    /// each stocked with 20 at the room.
    /// </summary>
    public async Task<Seeded> SeedAsync(string run)
    {
        var costCenter = await Clients.CostCenters.CreateCostCenterAsync(new CreateCostCenterRequest
        {
            CostCenterId = $"{run}-cc",
            CostCenter = new CostCenter { Code = $"{run}-7100", DisplayName = "Perioperative services", CompanyCode = "1000", Department = "Surgery" },
        });
        var location = await Clients.Locations.CreateLocationAsync(new CreateLocationRequest
        {
            LocationId = $"{run}-or",
            Location = new Location
            {
                DisplayName = "Operating room 3", Type = LocationType.OperatingRoom, Facility = "main", CostCenter = costCenter.Name,
                ExternalIds = { new ExternalId { System = "department", Value = $"OR-{run}" } },
            },
        });
        var items = new List<Item>();
        foreach (var (supply, code, gtin) in new[] { (Supply.Storeroom[0], $"{run}-CDM1", ""), (Supply.Storeroom[1], $"{run}-CDM2", ""), (Supply.Storeroom[7], "", Gtin(run)) })
        {
            var item = supply.ToItem($"MPN-{run}-{items.Count}");
            item.ChargeCode = code;
            item.Gtin = gtin;
            items.Add(await Clients.Items.CreateItemAsync(new CreateItemRequest { ItemId = $"{run}-item-{items.Count}", Item = item }));
        }

        foreach (var item in items)
        {
            await StockAsync(location.Name, item, 20, run);
        }

        return new Seeded(run, $"OR-{run}", location, costCenter, items);
    }

    /// <summary>Receives <paramref name="quantity"/> of an item at a location.</summary>
    public async Task StockAsync(string location, Item item, int quantity, string run) =>
        await Clients.Inventory.CreateStockMovementAsync(new CreateStockMovementRequest
        {
            Parent = location,
            RequestId = $"{run}-receipt-{item.Name}-{Guid.NewGuid():N}",
            StockMovement = new StockMovement
            {
                Type = StockMovementType.Receipt, Item = item.Name, Location = location, Delta = Quantity.Of(quantity, item.StockingUnit), SourceDocument = $"{run}-opening",
            },
        });

    /// <summary>The on-hand stock of an item at a location.</summary>
    public async Task<decimal> OnHandAsync(Seeded seeded, Item item) =>
        (await Clients.Inventory.GetInventoryBalanceAsync(new GetInventoryBalanceRequest { Name = InventoryToChargeScenario.BalanceName(seeded.Location.Name, item.Name) })).OnHand.ToDecimal();

    // A GTIN-14 unique to the run (master data keeps GTINs unique) with its GS1 check digit, as the contract asks.
    private static string Gtin(string run) =>
        WellKnownFormats.WithGtinCheckDigit(("1" + string.Concat(run.Select(c => (c % 10).ToString(System.Globalization.CultureInfo.InvariantCulture)))).PadRight(13, '0')[..13]);

    public async Task DisposeAsync()
    {
        Clients.Dispose();
        Http.Dispose();
        await mesh.DisposeAsync();
        Directory.Delete(Inbox, recursive: true);
    }
}

/// <summary>The master data a test seeded.</summary>
public sealed record Seeded(string Run, string Department, Location Location, CostCenter CostCenter, IReadOnlyList<Item> Items);

/// <summary>The tests that share one <see cref="IngestMesh"/>.</summary>
[CollectionDefinition(Name)]
public sealed class IngestCollection : ICollectionFixture<IngestMesh>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "ingest mesh";
}
