using Dapr;
using Dapr.Client;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Workflows.V1;

namespace Mesh.Scenarios;

/// <summary>
/// What a clinical system or an operator sees of the mesh through one Dapr sidecar: gRPC clients of the
/// services and of the workflows app's case API (proxied by app id), pub/sub, and HTTP invocation of the
/// workflows app's REST API and of the ERP.
/// </summary>
public sealed class MeshClients : IDisposable
{
    /// <param name="daprGrpcEndpoint">The sidecar's gRPC endpoint, e.g. http://127.0.0.1:50001.</param>
    /// <param name="daprHttpEndpoint">The sidecar's HTTP endpoint, e.g. http://127.0.0.1:3500.</param>
    /// <param name="pubSub">The pub/sub component the clinical events go to.</param>
    /// <param name="daprApiToken">The sidecar's DAPR_API_TOKEN; null for the SDK's default (the DAPR_API_TOKEN variable).</param>
    /// <param name="operatorToken">
    /// An operator's bearer token (audience mesh-workflows, scope workflows.operate), sent on every call to the workflows
    /// app's case API, gRPC and REST, so replay and dismiss are allowed; null sends none.
    /// </param>
    public MeshClients(string daprGrpcEndpoint, string daprHttpEndpoint, string pubSub = "pubsub", string? daprApiToken = null, string? operatorToken = null)
    {
        var builder = new DaprClientBuilder().UseGrpcEndpoint(daprGrpcEndpoint).UseHttpEndpoint(daprHttpEndpoint);
        Dapr = (daprApiToken is null ? builder : builder.UseDaprApiToken(daprApiToken)).Build();
        PubSub = pubSub;
        var masterData = DaprClient.CreateInvocationInvoker("masterdata", daprGrpcEndpoint, daprApiToken);
        Items = new ItemService.ItemServiceClient(masterData);
        Locations = new LocationService.LocationServiceClient(masterData);
        CostCenters = new CostCenterService.CostCenterServiceClient(masterData);
        Inventory = new InventoryService.InventoryServiceClient(DaprClient.CreateInvocationInvoker("inventory", daprGrpcEndpoint, daprApiToken));
        Charges = new ChargeService.ChargeServiceClient(DaprClient.CreateInvocationInvoker("charges", daprGrpcEndpoint, daprApiToken));
        var workflows = DaprClient.CreateInvocationInvoker("workflows", daprGrpcEndpoint, daprApiToken);
        Cases = new CaseService.CaseServiceClient(operatorToken is null ? workflows : workflows.Intercept(headers =>
        {
            headers.Add("authorization", $"Bearer {operatorToken}");
            return headers;
        }));
        Suppliers = new SupplierService.SupplierServiceClient(masterData);
        Contracts = new Mesh.Contracts.Contracting.V1.ContractService.ContractServiceClient(masterData);
        var procurement = DaprClient.CreateInvocationInvoker("procurement", daprGrpcEndpoint, daprApiToken);
        Requisitions = new Mesh.Contracts.Procurement.V1.RequisitionService.RequisitionServiceClient(procurement);
        PurchaseOrders = new Mesh.Contracts.Procurement.V1.PurchaseOrderService.PurchaseOrderServiceClient(procurement);
        Receipts = new Mesh.Contracts.Procurement.V1.GoodsReceiptService.GoodsReceiptServiceClient(procurement);
        Invoices = new Mesh.Contracts.Procurement.V1.SupplierInvoiceService.SupplierInvoiceServiceClient(procurement);
        Workflows = DaprClient.CreateInvokeHttpClient("workflows", daprHttpEndpoint, daprApiToken);
        if (operatorToken is not null)
        {
            Workflows.DefaultRequestHeaders.Authorization = new("Bearer", operatorToken);
        }

        Erp = DaprClient.CreateInvokeHttpClient("erp", daprHttpEndpoint, daprApiToken);
    }

    /// <summary>The Dapr client of the sidecar.</summary>
    public DaprClient Dapr { get; }

    /// <summary>The pub/sub component.</summary>
    public string PubSub { get; }

    /// <summary>Master data: items.</summary>
    public ItemService.ItemServiceClient Items { get; }

    /// <summary>Master data: locations.</summary>
    public LocationService.LocationServiceClient Locations { get; }

    /// <summary>Master data: cost centers.</summary>
    public CostCenterService.CostCenterServiceClient CostCenters { get; }

    /// <summary>Master data: suppliers.</summary>
    public SupplierService.SupplierServiceClient Suppliers { get; }

    /// <summary>Master data: supplier contracts and their prices.</summary>
    public Mesh.Contracts.Contracting.V1.ContractService.ContractServiceClient Contracts { get; }

    /// <summary>Procurement: requisitions.</summary>
    public Mesh.Contracts.Procurement.V1.RequisitionService.RequisitionServiceClient Requisitions { get; }

    /// <summary>Procurement: purchase orders.</summary>
    public Mesh.Contracts.Procurement.V1.PurchaseOrderService.PurchaseOrderServiceClient PurchaseOrders { get; }

    /// <summary>Procurement: goods receipts.</summary>
    public Mesh.Contracts.Procurement.V1.GoodsReceiptService.GoodsReceiptServiceClient Receipts { get; }

    /// <summary>Procurement: supplier invoices.</summary>
    public Mesh.Contracts.Procurement.V1.SupplierInvoiceService.SupplierInvoiceServiceClient Invoices { get; }

    /// <summary>Inventory.</summary>
    public InventoryService.InventoryServiceClient Inventory { get; }

    /// <summary>Charges.</summary>
    public ChargeService.ChargeServiceClient Charges { get; }

    /// <summary>The workflows app's case API (case outcomes, exception queue) over gRPC.</summary>
    public CaseService.CaseServiceClient Cases { get; }

    /// <summary>
    /// The workflows app over HTTP, through the sidecar's HTTP invocation: the same case API as REST/JSON
    /// (e.g. <c>GET v1/flows/inventory-to-charge/exceptions</c>).
    /// </summary>
    public HttpClient Workflows { get; }

    /// <summary>The ERP's HTTP API, through the sidecar.</summary>
    public HttpClient Erp { get; }

    /// <summary>Switches the ERP stand-in's chaos mode ("Normal", "Down", "Unavailable", "Throttle", "Reject", ...).</summary>
    public Task SetErpChaosAsync(string mode, CancellationToken ct) => ErpChaos.SetAsync(Erp, mode, ct);

    /// <summary>Switches the ERP stand-in to <paramref name="mode"/> and waits until it turned requests away (<see cref="ErpChaos.TurnAwayAsync"/>).</summary>
    public Task TurnAwayAtErpAsync(string mode, int requests, TimeSpan patience, CancellationToken ct) => ErpChaos.TurnAwayAsync(Erp, mode, requests, patience, ct);

    /// <inheritdoc />
    public void Dispose()
    {
        Dapr.Dispose();
        Workflows.Dispose();
        Erp.Dispose();
    }

    /// <summary>
    /// True for what a call through a restarting mesh may briefly meet: the statuses of a sidecar or app coming back,
    /// as a gRPC client sees them, or wrapped by the Dapr client (DaprException).
    /// </summary>
    public static bool IsTransient(Exception e) => e switch
    {
        RpcException rpc => rpc.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Aborted,
        DaprException { InnerException: RpcException inner } => IsTransient(inner),
        _ => false,
    };
}
