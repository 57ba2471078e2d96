using System.Net.Http.Headers;
using Dapr.Client;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Procurement.V1;
using Mesh.Runtime;
using Mesh.Testing;
using Mesh.Testing.Apps;

namespace Mesh.Gateway.Tests;

/// <summary>
/// The gateway as partners meet it: real Redis, the embedded runtime's sidecars, master data, charges, procurement and
/// the ERP stand-in it sends orders to, hosted through their own Program, and the gateway's real Program as a process in the Production environment, trusting
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
    private TestMesh mesh = null!;

    public TestIssuer Issuer { get; private set; } = null!;

    /// <summary>The partner listener for gRPC (HTTP/2 without TLS), e.g. http://127.0.0.1:40123.</summary>
    public Uri PartnerAddress { get; private set; } = null!;

    /// <summary>The partner listener for REST and gRPC-Web (HTTP/1.1 without TLS).</summary>
    public Uri RestAddress { get; private set; } = null!;

    /// <summary>The admin listener (the gateway's Dapr app port).</summary>
    public Uri AdminAddress { get; private set; } = null!;

    /// <summary>Master data's items, through a caller's sidecar (not through the gateway).</summary>
    public ItemService.ItemServiceClient DirectItems { get; private set; } = null!;

    /// <summary>Charges, through a caller's sidecar (not through the gateway).</summary>
    public ChargeService.ChargeServiceClient DirectCharges { get; private set; } = null!;

    /// <summary>Procurement's purchase orders, through a caller's sidecar (not through the gateway).</summary>
    public PurchaseOrderService.PurchaseOrderServiceClient DirectPurchaseOrders { get; private set; } = null!;

    /// <summary>Procurement's supplier invoices, through a caller's sidecar (not through the gateway).</summary>
    public SupplierInvoiceService.SupplierInvoiceServiceClient DirectInvoices { get; private set; } = null!;

    /// <summary>The gateway's output so far.</summary>
    public string GatewayOutput => mesh.AppOf<ChildApp>("gateway").Output;

    public async Task InitializeAsync()
    {
        Issuer = new TestIssuer(folder);
        mesh = await TestMesh.StartAsync(
            InventoryToChargeApps.MasterData(), InventoryToChargeApps.Charges(), InventoryToChargeApps.Erp(), InventoryToChargeApps.Procurement(), TestApp.Client("caller"));
        DirectItems = new ItemService.ItemServiceClient(DaprClient.CreateInvocationInvoker("masterdata", mesh.GrpcEndpointOf("caller")));
        DirectCharges = new ChargeService.ChargeServiceClient(DaprClient.CreateInvocationInvoker("charges", mesh.GrpcEndpointOf("caller")));
        DirectPurchaseOrders = new PurchaseOrderService.PurchaseOrderServiceClient(DaprClient.CreateInvocationInvoker("procurement", mesh.GrpcEndpointOf("caller")));
        DirectInvoices = new SupplierInvoiceService.SupplierInvoiceServiceClient(DaprClient.CreateInvocationInvoker("procurement", mesh.GrpcEndpointOf("caller")));

        // The gateway's rate limits and audit live in the mesh's Redis, so it joins once that runs.
        var partner = $"http://127.0.0.1:{LoopbackPorts.Free()}";
        var rest = $"http://127.0.0.1:{LoopbackPorts.Free()}";
        await mesh.AddAppAsync(EdgeApps.Gateway(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings:gateway"] = mesh.Redis.ConnectionString,
            ["Kestrel:Endpoints:Partner:Url"] = partner,
            ["Kestrel:Endpoints:PartnerRest:Url"] = rest,
            ["Gateway:Authentication:Issuer"] = TestIssuer.Issuer,
            ["Gateway:Authentication:JwksFile"] = Issuer.JwksFile,
            ["Gateway:Authentication:Audience"] = TestIssuer.Audience,
            [$"Gateway:Clients:{SupplierAcme}:Attributes:supplier"] = "suppliers/acme",
            [$"Gateway:Clients:{SupplierGlobex}:Attributes:supplier"] = "suppliers/globex",
            [$"Gateway:Clients:{Billing}:DisplayName"] = "MedBill",
            [$"Gateway:Clients:{Limited}:RateLimit:PermitsPerSecond"] = "0.2",
            [$"Gateway:Clients:{Limited}:RateLimit:Burst"] = "2",
            ["Gateway:MaxRequestBytes"] = "4096",
        }));
        PartnerAddress = new Uri(partner);
        RestAddress = new Uri(rest);
        AdminAddress = mesh.AddressOf("gateway");
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

    /// <summary>A purchase order of <paramref name="supplier"/> (10 EA at 4.00 USD), created, approved and sent to it.</summary>
    public async Task<PurchaseOrder> SentOrderAsync(string supplier)
    {
        var order = await DirectPurchaseOrders.CreatePurchaseOrderAsync(new CreatePurchaseOrderRequest
        {
            PurchaseOrder = new PurchaseOrder
            {
                Supplier = supplier,
                BillToCostCenter = "costCenters/cc-4410",
                ShipToLocation = "locations/or-1",
                Buyer = "employees/buyer-1",
                CurrencyCode = "USD",
                Lines = { new PurchaseOrderLine { LineNumber = 1, Item = "items/gauze-4x4", OrderedQuantity = Contracts.Type.V1.Quantity.Of(10, "EA"), UnitPrice = Contracts.Type.V1.Money.Of("USD", 4) } },
            },
        });
        await DirectPurchaseOrders.SubmitPurchaseOrderAsync(new SubmitPurchaseOrderRequest { Name = order.Name });
        await DirectPurchaseOrders.ApprovePurchaseOrderAsync(new ApprovePurchaseOrderRequest { Name = order.Name, Approver = "employees/manager-1" });
        return await DirectPurchaseOrders.SendPurchaseOrderAsync(new SendPurchaseOrderRequest { Name = order.Name });
    }

    /// <summary>An invoice billing the whole of <paramref name="order"/>, its supplier left as given.</summary>
    public static SupplierInvoice InvoiceFor(PurchaseOrder order, string supplier) => new()
    {
        Supplier = supplier,
        PurchaseOrder = order.Name,
        InvoiceNumber = $"INV-{Guid.NewGuid():N}"[..16],
        InvoiceTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch.AddDays(20_000)),
        Lines = { new SupplierInvoiceLine { PoLineNumber = 1, InvoicedQuantity = Contracts.Type.V1.Quantity.Of(10, "EA"), UnitPrice = Contracts.Type.V1.Money.Of("USD", 4), Amount = Contracts.Type.V1.Money.Of("USD", 40) } },
        Total = Contracts.Type.V1.Money.Of("USD", 40),
    };

    public async Task DisposeAsync()
    {
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
