using System.Net.Http.Headers;
using Dapr.Client;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Runtime;
using Mesh.Testing;
using Mesh.Testing.Apps;
using Microsoft.Extensions.Hosting;

namespace Mesh.Gateway.Tests;

/// <summary>
/// The gateway as partners meet it: real Redis, the embedded runtime's sidecars, master data and charges wired as
/// their Program.cs wire them, and the gateway's real Program as a process in the Production environment, trusting
/// the tests' own issuer through a JWKS file. Partners call its partner listener; the tests also reach the services
/// directly through a caller's sidecar to seed data and to compare.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const string SupplierAcme = "supplier-acme";
    public const string SupplierGlobex = "supplier-globex";
    public const string Billing = "billing-medbill";
    public const string Limited = "limited-client";

    private readonly string folder = Directory.CreateTempSubdirectory("mesh-gateway-tests-").FullName;

    private int callerHttpPort;
    private TestMesh mesh = null!;
    private ChildApp gateway = null!;

    public TestIssuer Issuer { get; private set; } = null!;

    /// <summary>The partner listener for gRPC (HTTP/2 without TLS), e.g. http://127.0.0.1:40123.</summary>
    public Uri PartnerAddress { get; private set; } = null!;

    /// <summary>The partner listener for REST and gRPC-Web (HTTP/1.1 without TLS).</summary>
    public Uri RestAddress { get; private set; } = null!;

    /// <summary>The admin listener (the gateway's Dapr app port).</summary>
    public Uri AdminAddress { get; private set; } = null!;

    /// <summary>An HTTP client of the gateway's admin API through a caller's sidecar, as operators reach it.</summary>
    public HttpClient AdminThroughMesh() => DaprClient.CreateInvokeHttpClient("gateway", $"http://127.0.0.1:{callerHttpPort}");

    /// <summary>Master data's items, through a caller's sidecar (not through the gateway).</summary>
    public ItemService.ItemServiceClient DirectItems { get; private set; } = null!;

    /// <summary>Charges, through a caller's sidecar (not through the gateway).</summary>
    public ChargeService.ChargeServiceClient DirectCharges { get; private set; } = null!;

    /// <summary>The gateway's output so far.</summary>
    public string GatewayOutput => gateway.Output;

    public async Task InitializeAsync()
    {
        Issuer = new TestIssuer(folder);
        mesh = await TestMesh.StartAsync();
        await InventoryToChargeApps.StartMasterDataAsync(mesh);
        await InventoryToChargeApps.StartServiceAsync(mesh, "charges", b => b.AddCharges(), app => app.MapChargesApi());
        var caller = await mesh.StartSidecarAsync("caller");
        callerHttpPort = caller.HttpPort;
        DirectItems = new ItemService.ItemServiceClient(DaprClient.CreateInvocationInvoker("masterdata", $"http://127.0.0.1:{caller.GrpcPort}"));
        DirectCharges = new ChargeService.ChargeServiceClient(DaprClient.CreateInvocationInvoker("charges", $"http://127.0.0.1:{caller.GrpcPort}"));

        var adminPort = LoopbackPorts.Free();
        var partnerPort = LoopbackPorts.Free();
        var restPort = LoopbackPorts.Free();
        await mesh.StartSidecarAsync("gateway", adminPort, "http");
        var environment = new Dictionary<string, string?>(mesh.EnvironmentFor("gateway"))
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__gateway"] = mesh.Redis.ConnectionString,
            ["Kestrel__Endpoints__Partner__Url"] = $"http://127.0.0.1:{partnerPort}",
            ["Kestrel__Endpoints__PartnerRest__Url"] = $"http://127.0.0.1:{restPort}",
            ["Gateway__Authentication__Issuer"] = TestIssuer.Issuer,
            ["Gateway__Authentication__JwksFile"] = Issuer.JwksFile,
            ["Gateway__Authentication__Audience"] = TestIssuer.Audience,
            [$"Gateway__Clients__{SupplierAcme}__Attributes__supplier"] = "suppliers/acme",
            [$"Gateway__Clients__{SupplierGlobex}__Attributes__supplier"] = "suppliers/globex",
            [$"Gateway__Clients__{Billing}__DisplayName"] = "MedBill",
            [$"Gateway__Clients__{Limited}__RateLimit__PermitsPerSecond"] = "0.2",
            [$"Gateway__Clients__{Limited}__RateLimit__Burst"] = "2",
            ["Gateway__MaxRequestBytes"] = "4096",
        };
        gateway = await ChildApp.StartAsync(ChildApp.BuiltAssembly("services/gateway/Mesh.Gateway", "Mesh.Gateway"), "Admin", adminPort, environment);
        PartnerAddress = new Uri($"http://127.0.0.1:{partnerPort}");
        RestAddress = new Uri($"http://127.0.0.1:{restPort}");
        AdminAddress = new Uri($"http://127.0.0.1:{adminPort}");
    }

    /// <summary>A gRPC channel to the partner listener (the REST listener with a gRPC-Web handler); with a token, every call carries it.</summary>
    public GrpcChannel Channel(string? token = null, HttpMessageHandler? handler = null) =>
        GrpcChannel.ForAddress(handler is null ? PartnerAddress : RestAddress, new GrpcChannelOptions
        {
            HttpHandler = handler,
            // gRPC-Web goes to the HTTP/1.1 listener.
            HttpVersion = handler is null ? System.Net.HttpVersion.Version20 : System.Net.HttpVersion.Version11,
            HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Credentials = token is null ? null : ChannelCredentials.Create(ChannelCredentials.Insecure, CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", $"Bearer {token}");
                return Task.CompletedTask;
            })),
            UnsafeUseInsecureChannelCallCredentials = true,
        });

    /// <summary>An HTTP client of the partner listener's REST surface; with a token, every request carries it.</summary>
    public HttpClient Rest(string? token = null)
    {
        var http = new HttpClient { BaseAddress = RestAddress };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    /// <summary>Creates an item sold by <paramref name="supplier"/> (and, when given, by <paramref name="alsoBy"/>).</summary>
    public async Task<Item> CreateItemAsync(string supplier, string? alsoBy = null)
    {
        var item = new Item
        {
            Description = $"Suture 3-0 nylon {Guid.NewGuid():N}",
            StockingUnit = "EA",
            Chargeable = true,
            ChargeCode = "272-1001",
            HcpcsCode = "A4649",
            RevenueCode = "0272",
            ChargePrice = Contracts.Type.V1.Money.Of("USD", 12.5m),
            SupplierPartNumbers = { new SupplierPartNumber { Supplier = supplier, PartNumber = $"P-{Guid.NewGuid():N}"[..12] } },
        };
        if (alsoBy is not null)
        {
            item.SupplierPartNumbers.Add(new SupplierPartNumber { Supplier = alsoBy, PartNumber = $"P-{Guid.NewGuid():N}"[..12] });
        }

        return await DirectItems.CreateItemAsync(new CreateItemRequest { Item = item });
    }

    public async Task DisposeAsync()
    {
        await gateway.DisposeAsync();
        await mesh.DisposeAsync();
        Issuer.Dispose();
        Directory.Delete(folder, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
