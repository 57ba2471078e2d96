using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Mesh.Contracts.Procurement.V1;

namespace Mesh.Gateway.Tests;

/// <summary>Suppliers reach their own purchase orders and invoices through the gateway, and nothing of another supplier's.</summary>
[Collection(GatewayCollection.Name)]
public sealed class SupplierProcurementTests(GatewayFixture fixture)
{
    private const string OrdersRead = "procurement.purchase_orders.read";
    private const string InvoicesRead = "procurement.supplier_invoices.read";
    private const string InvoicesWrite = "procurement.supplier_invoices.write";

    [Fact]
    public async Task GetPurchaseOrder_SupplierReadsItsOwnOrder_OverGrpcAndRest()
    {
        var order = await fixture.SentOrderAsync("suppliers/acme");
        var token = fixture.Issuer.Token(GatewayFixture.SupplierAcme, OrdersRead);

        var grpc = await Orders(token).GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = order.Name });
        var rest = JsonNode.Parse(await fixture.Rest(token).GetStringAsync($"/v1/{order.Name}"))!;

        Assert.Equal((order.Name, order.PoNumber, PurchaseOrderState.Sent, order.Total), (grpc.Name, grpc.PoNumber, grpc.State, grpc.Total));
        Assert.Equal((order.Name, "suppliers/acme"), ((string)rest["name"]!, (string)rest["supplier"]!));
        // The buyer is an employee (PII): withheld from a token without pii.read.
        Assert.Equal("", grpc.Buyer);
    }

    [Fact]
    public async Task GetPurchaseOrder_AnotherSuppliersOrder_IsNotFoundLikeAMissingOne()
    {
        var theirs = await fixture.SentOrderAsync("suppliers/globex");
        var orders = Orders(fixture.Issuer.Token(GatewayFixture.SupplierAcme, OrdersRead));

        var foreign = await Assert.ThrowsAsync<RpcException>(() => orders.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = theirs.Name }).ResponseAsync);
        var missing = await Assert.ThrowsAsync<RpcException>(() => orders.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = "purchaseOrders/no-such-order" }).ResponseAsync);

        Assert.Equal((StatusCode.NotFound, $"{theirs.Name} does not exist"), (foreign.StatusCode, foreign.Status.Detail));
        Assert.Equal((StatusCode.NotFound, "purchaseOrders/no-such-order does not exist"), (missing.StatusCode, missing.Status.Detail));
    }

    [Fact]
    public async Task ListPurchaseOrders_Supplier_SeesOnlyItsOrders_AndAnotherSuppliersFilterReadsEmpty()
    {
        var mine = await fixture.SentOrderAsync("suppliers/acme");
        var theirs = await fixture.SentOrderAsync("suppliers/globex");
        var orders = Orders(fixture.Issuer.Token(GatewayFixture.SupplierAcme, OrdersRead));

        var listed = await orders.ListPurchaseOrdersAsync(new ListPurchaseOrdersRequest { PageSize = 1000 });
        var askedForGlobex = await orders.ListPurchaseOrdersAsync(new ListPurchaseOrdersRequest { PageSize = 1000, Supplier = "suppliers/globex" });
        var direct = await fixture.DirectPurchaseOrders.ListPurchaseOrdersAsync(new ListPurchaseOrdersRequest { PageSize = 1000 });

        Assert.Contains(listed.PurchaseOrders, o => o.Name == mine.Name);
        Assert.DoesNotContain(listed.PurchaseOrders, o => o.Name == theirs.Name);
        Assert.All(listed.PurchaseOrders, o => Assert.Equal("suppliers/acme", o.Supplier));
        Assert.Contains(direct.PurchaseOrders, o => o.Name == theirs.Name);
        Assert.Empty(askedForGlobex.PurchaseOrders);
    }

    [Fact]
    public async Task ListPurchaseOrders_ClientWithoutASupplier_IsPermissionDenied()
    {
        var orders = Orders(fixture.Issuer.Token(GatewayFixture.Billing, OrdersRead));

        var refused = await Assert.ThrowsAsync<RpcException>(() => orders.ListPurchaseOrdersAsync(new ListPurchaseOrdersRequest()).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("partners with a supplier", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetSupplierInvoice_WithoutTheReadScope_IsPermissionDeniedNamingTheScope()
    {
        var invoices = Invoices(fixture.Issuer.Token(GatewayFixture.SupplierAcme, OrdersRead));

        var refused = await Assert.ThrowsAsync<RpcException>(() => invoices.GetSupplierInvoiceAsync(new GetSupplierInvoiceRequest { Name = "supplierInvoices/any" }).ResponseAsync);

        Assert.Equal((StatusCode.PermissionDenied, $"mesh.procurement.v1.SupplierInvoiceService.GetSupplierInvoice needs the scope {InvoicesRead}"), (refused.StatusCode, refused.Status.Detail));
    }

    [Fact]
    public async Task CreateSupplierInvoice_SupplierLeftEmpty_IsRecordedAsTheCallersOwn_AndReadableOnlyByIt()
    {
        var order = await fixture.SentOrderAsync("suppliers/acme");
        var acme = fixture.Issuer.Token(GatewayFixture.SupplierAcme, InvoicesRead, InvoicesWrite);

        var created = await Invoices(acme).CreateSupplierInvoiceAsync(new CreateSupplierInvoiceRequest { SupplierInvoice = GatewayFixture.InvoiceFor(order, supplier: "") });
        var read = await Invoices(acme).GetSupplierInvoiceAsync(new GetSupplierInvoiceRequest { Name = created.Name });
        var listed = await Invoices(acme).ListSupplierInvoicesAsync(new ListSupplierInvoicesRequest { PageSize = 1000 });
        var foreign = await Assert.ThrowsAsync<RpcException>(() =>
            Invoices(fixture.Issuer.Token(GatewayFixture.SupplierGlobex, InvoicesRead)).GetSupplierInvoiceAsync(new GetSupplierInvoiceRequest { Name = created.Name }).ResponseAsync);
        var globexList = await Invoices(fixture.Issuer.Token(GatewayFixture.SupplierGlobex, InvoicesRead)).ListSupplierInvoicesAsync(new ListSupplierInvoicesRequest { PageSize = 1000 });

        Assert.Equal(("suppliers/acme", SupplierInvoiceState.Received), (created.Supplier, created.State));
        Assert.Equal(created.Name, read.Name);
        Assert.Contains(listed.SupplierInvoices, i => i.Name == created.Name);
        Assert.All(listed.SupplierInvoices, i => Assert.Equal("suppliers/acme", i.Supplier));
        Assert.Equal((StatusCode.NotFound, $"{created.Name} does not exist"), (foreign.StatusCode, foreign.Status.Detail));
        Assert.DoesNotContain(globexList.SupplierInvoices, i => i.Name == created.Name);
    }

    [Fact]
    public async Task CreateSupplierInvoice_InAnotherSuppliersName_IsPermissionDeniedAndNothingRecorded()
    {
        var theirs = await fixture.SentOrderAsync("suppliers/globex");
        var invoice = GatewayFixture.InvoiceFor(theirs, supplier: "suppliers/globex");

        var refused = await Assert.ThrowsAsync<RpcException>(() =>
            Invoices(fixture.Issuer.Token(GatewayFixture.SupplierAcme, InvoicesWrite)).CreateSupplierInvoiceAsync(new CreateSupplierInvoiceRequest { SupplierInvoice = invoice }).ResponseAsync);
        var recorded = await fixture.DirectInvoices.ListSupplierInvoicesAsync(new ListSupplierInvoicesRequest { PurchaseOrder = theirs.Name });

        Assert.Equal((StatusCode.PermissionDenied, "supplier_invoice.supplier must be this client's own supplier"), (refused.StatusCode, refused.Status.Detail));
        Assert.Empty(recorded.SupplierInvoices);
    }

    [Fact]
    public async Task CreateSupplierInvoice_AgainstAnotherSuppliersOrder_FailsLikeAMissingOrder()
    {
        var theirs = await fixture.SentOrderAsync("suppliers/globex");
        var invoices = Invoices(fixture.Issuer.Token(GatewayFixture.SupplierAcme, InvoicesWrite));

        var foreign = await Assert.ThrowsAsync<RpcException>(() =>
            invoices.CreateSupplierInvoiceAsync(new CreateSupplierInvoiceRequest { SupplierInvoice = GatewayFixture.InvoiceFor(theirs, supplier: "") }).ResponseAsync);
        var missing = await Assert.ThrowsAsync<RpcException>(() =>
            invoices.CreateSupplierInvoiceAsync(new CreateSupplierInvoiceRequest { SupplierInvoice = GatewayFixture.InvoiceFor(new PurchaseOrder { Name = "purchaseOrders/no-such-order" }, supplier: "") }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, foreign.StatusCode);
        Assert.Equal((missing.StatusCode, missing.Status.Detail), (foreign.StatusCode, foreign.Status.Detail));
    }

    [Fact]
    public async Task CreateSupplierInvoice_OverRest_PostsTheInvoiceAsTheBody()
    {
        var order = await fixture.SentOrderAsync("suppliers/acme");
        var body = JsonNode.Parse(Google.Protobuf.JsonFormatter.Default.Format(GatewayFixture.InvoiceFor(order, supplier: "")))!;

        using var response = await fixture.Rest(fixture.Issuer.Token(GatewayFixture.SupplierAcme, InvoicesWrite)).PostAsJsonAsync("/v1/supplierInvoices", body);
        var created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("suppliers/acme", order.Name), ((string)created["supplier"]!, (string)created["purchaseOrder"]!));
    }

    private PurchaseOrderService.PurchaseOrderServiceClient Orders(string token) => new(fixture.Channel(token));

    private SupplierInvoiceService.SupplierInvoiceServiceClient Invoices(string token) => new(fixture.Channel(token));
}
