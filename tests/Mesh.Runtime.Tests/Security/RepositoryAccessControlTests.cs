using Mesh.Runtime.Configuration;
using Mesh.Runtime.Security;
using Mesh.Runtime.Tests.Configuration;

namespace Mesh.Runtime.Tests.Security;

/// <summary>
/// The access control of the repository's run file (config/, referenced from dapr.yaml): exactly the calls the flows
/// make are allowed, the rest denied, decided as each callee's sidecar decides.
/// </summary>
public sealed class RepositoryAccessControlTests
{
    private static readonly RunFile RunFile = RunFileLoader.Load(Path.Combine(RunFileLoaderTests.RepositoryRoot(), "dapr.yaml"));

    [Fact]
    public void EveryApp_HasAConfigurationThatDeniesByDefault()
    {
        Assert.All(RunFile.Apps.Where(app => app.AppPort > 0), app =>
        {
            var configuration = DaprConfigurationLoader.Load(app.ConfigFilePath);
            Assert.Equal("deny", configuration.AccessControl?.DefaultAction);
        });
    }

    [Theory]
    // The inventory-to-charge saga.
    [InlineData("workflows", "masterdata", "/mesh.masterdata.v1.ItemService/GetItem")]
    [InlineData("workflows", "masterdata", "/mesh.masterdata.v1.LocationService/GetLocation")]
    [InlineData("workflows", "masterdata", "/mesh.masterdata.v1.CostCenterService/GetCostCenter")]
    [InlineData("workflows", "inventory", "/mesh.inventory.v1.InventoryService/CreateStockMovement")]
    [InlineData("workflows", "charges", "/mesh.charges.v1.ChargeService/CreateCharge")]
    [InlineData("workflows", "charges", "/mesh.charges.v1.ChargeService/VoidCharge")]
    [InlineData("workflows", "finance", "/mesh.finance.v1.JournalEntryService/PostSuppliesCost")]
    // The procure-to-pay saga.
    [InlineData("workflows", "procurement", "/mesh.procurement.v1.RequisitionService/RouteRequisition")]
    [InlineData("workflows", "procurement", "/mesh.procurement.v1.PurchaseOrderService/CreatePurchaseOrder")]
    [InlineData("workflows", "procurement", "/mesh.procurement.v1.PurchaseOrderService/CancelPurchaseOrder")]
    [InlineData("workflows", "procurement", "/mesh.procurement.v1.GoodsReceiptService/GetGoodsReceipt")]
    [InlineData("workflows", "procurement", "/mesh.procurement.v1.GoodsReceiptService/ListGoodsReceipts")]
    [InlineData("workflows", "procurement", "/mesh.procurement.v1.SupplierInvoiceService/MatchSupplierInvoice")]
    [InlineData("workflows", "procurement", "/mesh.procurement.v1.SupplierInvoiceService/ReleaseSupplierInvoiceHold")]
    [InlineData("workflows", "masterdata", "/mesh.masterdata.v1.SupplierService/GetSupplier")]
    [InlineData("workflows", "finance", "/mesh.finance.v1.JournalEntryService/PostSupplierInvoiceLiability")]
    // The partner gateway forwarding suppliers' calls.
    [InlineData("gateway", "procurement", "/mesh.procurement.v1.PurchaseOrderService/ListPurchaseOrders")]
    [InlineData("gateway", "procurement", "/mesh.procurement.v1.SupplierInvoiceService/CreateSupplierInvoice")]
    // mesh demo procure-to-pay.
    [InlineData("clinic-demo", "procurement", "/mesh.procurement.v1.RequisitionService/ApproveRequisition")]
    [InlineData("clinic-demo", "procurement", "/mesh.procurement.v1.GoodsReceiptService/CreateGoodsReceipt")]
    [InlineData("clinic-demo", "masterdata", "/mesh.masterdata.v1.SupplierService/CreateSupplier")]
    // The operations console.
    [InlineData("console", "workflows", "/mesh.workflows.v1.CaseService/ListCases")]
    [InlineData("console", "workflows", "/mesh.workflows.v1.CaseService/ReplayException")]
    [InlineData("console", "registry", "/mesh.registry.v1.RegistryService/ListSubjects")]
    [InlineData("console", "registry", "/mesh.registry.v1.RegistryService/GetSchemaVersion")]
    // The services among themselves.
    [InlineData("charges", "masterdata", "/mesh.masterdata.v1.ItemService/GetItem")]
    [InlineData("finance", "masterdata", "/mesh.masterdata.v1.CostCenterService/GetCostCenter")]
    [InlineData("masterdata", "inventory", "/mesh.inventory.v1.InventoryService/ListStockMovements")]
    [InlineData("ingest", "masterdata", "/mesh.masterdata.v1.ItemService/FindDuplicateItems")]
    [InlineData("ingest", "masterdata", "/mesh.masterdata.v1.SupplierService/ListSuppliers")]
    // The partner gateway's surface, and operators' reads and case API.
    [InlineData("gateway", "masterdata", "/mesh.masterdata.v1.ItemService/ListItems")]
    [InlineData("gateway", "charges", "/mesh.charges.v1.ChargeService/GetCharge")]
    [InlineData("operations", "workflows", "/mesh.workflows.v1.CaseService/ReplayException")]
    [InlineData("operations", "workflows", "/mesh.workflows.v1.CaseService/ReleaseHold")]
    [InlineData("console", "workflows", "/mesh.workflows.v1.CaseService/ReleaseHold")]
    [InlineData("operations", "ingest", "/mesh.ingest.v1.IngestService/ListIngestExceptions")]
    [InlineData("clinic-demo", "workflows", "/mesh.workflows.v1.CaseService/BatchGetCases")]
    public void GrpcCall_TheFlowsMake_IsAllowed(string caller, string callee, string method)
    {
        Assert.True(Decide(caller, callee, method, verb: null).Allowed);
    }

    [Theory]
    [InlineData("charges", "inventory", "/mesh.inventory.v1.InventoryService/CreateStockMovement")]
    [InlineData("gateway", "charges", "/mesh.charges.v1.ChargeService/CreateCharge")]
    [InlineData("gateway", "workflows", "/mesh.workflows.v1.CaseService/DismissException")]
    [InlineData("workflows", "masterdata", "/mesh.masterdata.v1.ItemService/DeleteItem")]
    [InlineData("operations", "masterdata", "/mesh.masterdata.v1.ItemService/CreateItem")]
    [InlineData("ingest", "charges", "/mesh.charges.v1.ChargeService/ListCharges")]
    [InlineData("workflows", "registry", "/mesh.registry.v1.RegistryService/ListSchemas")]
    [InlineData("unknown-app", "masterdata", "/mesh.masterdata.v1.ItemService/GetItem")]
    [InlineData("console", "registry", "/mesh.registry.v1.RegistryService/CreateSchemaVersion")]
    [InlineData("console", "procurement", "/mesh.procurement.v1.PurchaseOrderService/GetPurchaseOrder")]
    [InlineData("operations", "procurement", "/mesh.procurement.v1.SupplierInvoiceService/ReleaseSupplierInvoiceHold")]
    [InlineData("console", "procurement", "/mesh.procurement.v1.SupplierInvoiceService/ReleaseSupplierInvoiceHold")]
    [InlineData("gateway", "procurement", "/mesh.procurement.v1.PurchaseOrderService/CancelPurchaseOrder")]
    [InlineData("clinic-demo", "procurement", "/mesh.procurement.v1.SupplierInvoiceService/ReleaseSupplierInvoiceHold")]
    [InlineData("procurement", "finance", "/mesh.finance.v1.JournalEntryService/PostSupplierInvoiceLiability")]
    public void GrpcCall_NoFlowMakes_IsDeniedWithDaprdsMessage(string caller, string callee, string method)
    {
        var (allowed, denial) = Decide(caller, callee, method, verb: null);

        Assert.False(allowed);
        Assert.Equal($"access control policy has denied access to id: spiffe://public/ns/default/{caller} operation: {method} verb: NONE", denial);
    }

    [Theory]
    [InlineData("finance", "erp", "/erp/v1/journal-entries", "POST", true)]
    [InlineData("finance", "erp", "/erp/v1/journal-entries/JE-1", "GET", false)]
    [InlineData("finance", "erp", "/erp/admin/chaos", "PUT", false)]
    [InlineData("workflows", "erp", "/erp/v1/journal-entries", "POST", false)]
    [InlineData("procurement", "erp", "/erp/v1/purchase-orders", "POST", true)]
    [InlineData("procurement", "erp", "/erp/v1/purchase-orders/PO-7/cancel", "POST", true)]
    [InlineData("procurement", "erp", "/erp/v1/journal-entries", "POST", false)]
    [InlineData("operations", "gateway", "/admin/v1/audit", "GET", true)]
    [InlineData("operations", "gateway", "/admin/v1/audit", "DELETE", false)]
    [InlineData("operations", "workflows", "/v1/flows/inventory-to-charge/exceptions", "GET", true)]
    [InlineData("operations", "workflows", "/v1/flows/procure-to-pay/cases/r1:releaseHold", "POST", true)]
    [InlineData("gateway", "workflows", "/v1/flows/inventory-to-charge/exceptions", "GET", false)]
    public void HttpInvoke_AllowedExactlyForTheFlows(string caller, string callee, string path, string verb, bool allowed)
    {
        Assert.Equal(allowed, Decide(caller, callee, path, verb).Allowed);
    }

    // As the callee's sidecar decides: gRPC proxying matches the method as given, HTTP invocation the path and verb.
    private static (bool Allowed, string? Denial) Decide(string caller, string callee, string operation, string? verb)
    {
        var app = Assert.Single(RunFile.Apps, a => a.AppId == callee);
        var isHttpApp = app.AppProtocol is "http" or "h2c";
        var acl = AccessControlList.For(DaprConfigurationLoader.Load(app.ConfigFilePath).AccessControl, isHttpApp)!;
        return acl.Check(new SpiffeId("public", "default", caller), operation, verb, isHttp: verb is not null);
    }
}
