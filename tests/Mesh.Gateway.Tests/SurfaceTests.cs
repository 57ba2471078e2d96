using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Procurement.V1;
using Mesh.Gateway.Surface;

namespace Mesh.Gateway.Tests;

public sealed class SurfaceTests
{
    [Fact]
    public void PartnerSurface_TheContracts_OpenItemChargeAndSupplierProcurementRpcsWithTheirScopes()
    {
        var surface = new PartnerSurface(PartnerServices.All, new Dictionary<string, string>());

        Assert.Equal(
            [
                ("/mesh.charges.v1.ChargeService/GetCharge", "charges.read", "charges"),
                ("/mesh.charges.v1.ChargeService/ListCharges", "charges.read", "charges"),
                ("/mesh.masterdata.v1.ItemService/GetItem", "masterdata.items.read", "masterdata"),
                ("/mesh.masterdata.v1.ItemService/ListItems", "masterdata.items.read", "masterdata"),
                ("/mesh.procurement.v1.PurchaseOrderService/GetPurchaseOrder", "procurement.purchase_orders.read", "procurement"),
                ("/mesh.procurement.v1.PurchaseOrderService/ListPurchaseOrders", "procurement.purchase_orders.read", "procurement"),
                ("/mesh.procurement.v1.SupplierInvoiceService/CreateSupplierInvoice", "procurement.supplier_invoices.write", "procurement"),
                ("/mesh.procurement.v1.SupplierInvoiceService/GetSupplierInvoice", "procurement.supplier_invoices.read", "procurement"),
                ("/mesh.procurement.v1.SupplierInvoiceService/ListSupplierInvoices", "procurement.supplier_invoices.read", "procurement"),
            ],
            surface.Methods.Select(m => (m.Path, string.Join(' ', m.Scopes), m.AppId)).Order());
        Assert.Null(surface.Find("/mesh.masterdata.v1.ItemService/CreateItem"));
        Assert.Null(surface.Find("/mesh.procurement.v1.PurchaseOrderService/ApprovePurchaseOrder"));
        Assert.Null(surface.Find("/mesh.procurement.v1.SupplierInvoiceService/ReleaseSupplierInvoiceHold"));
    }

    [Fact]
    public void PartnerSurface_ForwardedRpcWithoutScope_IsRefusedAtStartupNamingIt()
    {
        var refused = Assert.Throws<GatewayConfigurationException>(() => new PartnerSurface(
            [PartnerService.Of<CreatesItems>(ItemService.Descriptor, "masterdata", scope: null)], new Dictionary<string, string>()));

        Assert.Equal(
            "mesh/masterdata/v1/item_service.proto: mesh.masterdata.v1.ItemService.CreateItem is forwarded to partners but declares no scope; add option (mesh.options.v1.partner_access) = {scopes: \"...\"} to the rpc",
            refused.Message);
    }

    [Fact]
    public void PartnerSurface_AppIdsFromConfiguration_OverrideTheDefaults()
    {
        var surface = new PartnerSurface(PartnerServices.All, new Dictionary<string, string> { ["mesh.masterdata.v1.ItemService"] = "masterdata-eu" });

        Assert.Equal("masterdata-eu", surface.Find("/mesh.masterdata.v1.ItemService/GetItem")!.AppId);
    }

    [Fact]
    public void PartnerReflection_CutsServicesDownToTheirPartnerRpcs()
    {
        var services = PartnerReflection.ServicesOf(new PartnerSurface(PartnerServices.All, new Dictionary<string, string>()));

        Assert.Equal(["GetItem", "ListItems"], services.Single(s => s.Name == "ItemService").Methods.Select(m => m.Name));
        Assert.Equal(["GetCharge", "ListCharges"], services.Single(s => s.Name == "ChargeService").Methods.Select(m => m.Name));
        Assert.Equal(["GetPurchaseOrder", "ListPurchaseOrders"], services.Single(s => s.Name == "PurchaseOrderService").Methods.Select(m => m.Name));
        Assert.Equal(["CreateSupplierInvoice", "GetSupplierInvoice", "ListSupplierInvoices"], services.Single(s => s.Name == "SupplierInvoiceService").Methods.Select(m => m.Name));
    }

    [Fact]
    public void DataScope_NarrowsListsAndJudgesOwnership()
    {
        var scope = new DataScope("supplier", "supplier", "supplier_part_numbers.supplier", Required: false);
        var open = new ListItemsRequest();
        var foreign = new ListItemsRequest { Supplier = "suppliers/globex" };
        var item = new Item { SupplierPartNumbers = { new SupplierPartNumber { Supplier = "suppliers/globex" }, new SupplierPartNumber { Supplier = "suppliers/acme" } } };
        var list = new ListItemsResponse { Items = { item, new Item { Name = "items/theirs", SupplierPartNumbers = { new SupplierPartNumber { Supplier = "suppliers/globex" } } } } };

        Assert.True(scope.Narrow(open, "suppliers/acme"));
        Assert.Equal("suppliers/acme", open.Supplier);
        Assert.False(scope.Narrow(foreign, "suppliers/acme"));
        Assert.True(scope.Owns(item, "suppliers/acme"));
        Assert.False(scope.Owns(item, "suppliers/initech"));
        scope.KeepOwn(list, "suppliers/acme");
        Assert.Equal([item], list.Items);
    }

    [Fact]
    public void DataScope_WrittenResource_OwnerFilledInWhenEmptyAndAnotherOwnerRefusedNamingTheField()
    {
        var scope = new DataScope("supplier", "supplier", "supplier", Required: true);
        var unnamed = new CreateSupplierInvoiceRequest { SupplierInvoice = new SupplierInvoice { InvoiceNumber = "INV-1" } };
        var theirs = new CreateSupplierInvoiceRequest { SupplierInvoice = new SupplierInvoice { Supplier = "suppliers/globex" } };

        Assert.True(scope.Narrow(unnamed, "suppliers/acme"));
        var refused = Assert.Throws<RpcException>(() => scope.Narrow(theirs, "suppliers/acme"));

        Assert.Equal("suppliers/acme", unnamed.SupplierInvoice.Supplier);
        Assert.Equal((StatusCode.PermissionDenied, "supplier_invoice.supplier must be this client's own supplier"), (refused.StatusCode, refused.Status.Detail));
    }

    /// <summary>A forwarder that opens an RPC whose contract declares no partner scope.</summary>
    private sealed class CreatesItems : ItemService.ItemServiceBase
    {
        public override Task<Item> CreateItem(CreateItemRequest request, ServerCallContext context) => Task.FromResult(new Item());
    }
}
