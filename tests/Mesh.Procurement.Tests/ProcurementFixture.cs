using Dapr.Client;
using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Type.V1;
using Mesh.ErpStandIn;
using Mesh.Testing;
using Mesh.Testing.Apps;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Procurement.Tests;

/// <summary>
/// Real Redis, the embedded runtime's sidecars, the ERP stand-in as app "erp" and the procurement app, each wired as its
/// Program.cs wires it; procurement reaches the ERP's purchase order API by Dapr service invocation, and the tests call
/// procurement by gRPC through a caller's sidecar. The ERP client gives up after 2 s, so "ERP down" answers quickly.
/// </summary>
public sealed class ProcurementFixture : IAsyncLifetime
{
    private TestMesh mesh = null!;

    public RequisitionService.RequisitionServiceClient Requisitions { get; private set; } = null!;

    public PurchaseOrderService.PurchaseOrderServiceClient PurchaseOrders { get; private set; } = null!;

    public GoodsReceiptService.GoodsReceiptServiceClient Receipts { get; private set; } = null!;

    public SupplierInvoiceService.SupplierInvoiceServiceClient Invoices { get; private set; } = null!;

    /// <summary>The ERP stand-in's chaos switch.</summary>
    public Chaos ErpChaos => mesh.ServicesOf("erp").GetRequiredService<Chaos>();

    /// <summary>The ERP stand-in's purchase orders (the first thousand), read from its book in the state store.</summary>
    public async Task<List<ErpPurchaseOrder>> ErpOrdersAsync() =>
        (await mesh.ServicesOf("erp").GetRequiredService<PurchaseOrderBook>().OrdersAsync(null, 1000, CancellationToken.None))!;

    /// <summary>The procurement app's contract events (topic "procurement.events"), once its outbox settled.</summary>
    public Task<List<System.Text.Json.Nodes.JsonObject>> EventsAsync() => OutboxEvents.SettledAsync(mesh, "procurement");

    public async Task InitializeAsync()
    {
        mesh = await TestMesh.StartAsync(
            InventoryToChargeApps.Erp(),
            InventoryToChargeApps.Procurement(new Dictionary<string, string?>
            {
                ["Procurement:ErpResilience:TotalRequestTimeout:Timeout"] = "00:00:02",
                ["Procurement:ErpResilience:AttemptTimeout:Timeout"] = "00:00:01",
                ["Procurement:ErpResilience:Retry:Delay"] = "00:00:00.100",
            }),
            TestApp.Client("caller"));
        var invoker = DaprClient.CreateInvocationInvoker("procurement", mesh.GrpcEndpointOf("caller"));
        Requisitions = new(invoker);
        PurchaseOrders = new(invoker);
        Receipts = new(invoker);
        Invoices = new(invoker);
    }

    public async Task DisposeAsync() => await mesh.DisposeAsync();

    /// <summary>A new supplier's name, so tests sharing the fixture do not see each other's orders.</summary>
    public static string NewSupplier() => $"suppliers/{Guid.NewGuid():N}"[..26];

    /// <summary>A DRAFT order of <paramref name="supplier"/>: line 1, 10 EA at 4.00 USD; line 2, 5 BX at 20.00 USD.</summary>
    public static PurchaseOrder Order(string supplier) => new()
    {
        Supplier = supplier,
        BillToCostCenter = "costCenters/cc-4410",
        ShipToLocation = "locations/or-1",
        Buyer = "employees/buyer-1",
        CurrencyCode = "USD",
        Tax = Money.Of("USD", 3),
        Lines =
        {
            new PurchaseOrderLine { LineNumber = 1, Item = "items/gauze-4x4", OrderedQuantity = Quantity.Of(10, "EA"), UnitPrice = Money.Of("USD", 4) },
            new PurchaseOrderLine { LineNumber = 2, Item = "items/suture-3-0", OrderedQuantity = Quantity.Of(5, "BX"), UnitPrice = Money.Of("USD", 20) },
        },
    };

    /// <summary>Creates, submits and approves <see cref="Order"/> for <paramref name="supplier"/>; sends it unless told not to.</summary>
    public async Task<PurchaseOrder> ApprovedOrderAsync(string supplier, bool send = true)
    {
        var order = await PurchaseOrders.CreatePurchaseOrderAsync(new CreatePurchaseOrderRequest { PurchaseOrder = Order(supplier) });
        await PurchaseOrders.SubmitPurchaseOrderAsync(new SubmitPurchaseOrderRequest { Name = order.Name });
        order = await PurchaseOrders.ApprovePurchaseOrderAsync(new ApprovePurchaseOrderRequest { Name = order.Name, Approver = "employees/manager-1" });
        return send ? await PurchaseOrders.SendPurchaseOrderAsync(new SendPurchaseOrderRequest { Name = order.Name }) : order;
    }

    /// <summary>Receives <paramref name="lines"/> (line number, quantity in the line's unit) on <paramref name="order"/>.</summary>
    public Task<GoodsReceipt> ReceiveAsync(PurchaseOrder order, string requestId = "", params (int Line, decimal Quantity)[] lines) =>
        Receipts.CreateGoodsReceiptAsync(new CreateGoodsReceiptRequest
        {
            RequestId = requestId,
            GoodsReceipt = new GoodsReceipt
            {
                PurchaseOrder = order.Name,
                ReceivedBy = "employees/dock-1",
                Lines = { lines.Select(l => new GoodsReceiptLine { PoLineNumber = l.Line, ReceivedQuantity = Quantity.Of(l.Quantity, order.Lines.First(o => o.LineNumber == l.Line).OrderedQuantity.Unit) }) },
            },
        }).ResponseAsync;

    /// <summary>
    /// Records an invoice on <paramref name="order"/> billing <paramref name="lines"/> (line, quantity, unit price), with
    /// the order's tax and a total that adds up unless <paramref name="totalOffset"/> says otherwise.
    /// </summary>
    public Task<SupplierInvoice> InvoiceAsync(PurchaseOrder order, decimal totalOffset = 0, params (int Line, decimal Quantity, decimal Price)[] lines)
    {
        var invoice = new SupplierInvoice
        {
            Supplier = order.Supplier,
            PurchaseOrder = order.Name,
            InvoiceNumber = $"INV-{Guid.NewGuid():N}"[..16],
            InvoiceTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch.AddDays(20_000)),
            Tax = Money.Of("USD", 3),
        };
        foreach (var (line, quantity, price) in lines)
        {
            var unit = order.Lines.First(o => o.LineNumber == line).OrderedQuantity.Unit;
            invoice.Lines.Add(new SupplierInvoiceLine { PoLineNumber = line, InvoicedQuantity = Quantity.Of(quantity, unit), UnitPrice = Money.Of("USD", price), Amount = Money.Of("USD", quantity * price) });
        }

        invoice.Total = Money.Of("USD", lines.Sum(l => l.Quantity * l.Price) + 3 + totalOffset);
        return Invoices.CreateSupplierInvoiceAsync(new CreateSupplierInvoiceRequest { SupplierInvoice = invoice }).ResponseAsync;
    }
}
