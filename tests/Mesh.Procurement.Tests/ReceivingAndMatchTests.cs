using Grpc.Core;
using Mesh.Contracts.Procurement.V1;
using Mesh.Testing;

namespace Mesh.Procurement.Tests;

/// <summary>Goods receipts and the three-way match through the procurement app: partial deliveries, tolerances, holds and their release.</summary>
public sealed class ReceivingAndMatchTests(ProcurementFixture fixture) : IClassFixture<ProcurementFixture>
{
    [Fact]
    public async Task CreateGoodsReceipt_PartialDeliveries_PartiallyReceivedThenReceivedAndRetryCountsOnce()
    {
        var order = await fixture.ApprovedOrderAsync(ProcurementFixture.NewSupplier());
        var requestId = Guid.NewGuid().ToString("N");

        var first = await fixture.ReceiveAsync(order, requestId, (1, 4));
        var retried = await fixture.ReceiveAsync(order, requestId, (1, 4));
        var partial = await fixture.PurchaseOrders.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = order.Name });
        await fixture.ReceiveAsync(order, "", (1, 6), (2, 5));
        var received = await fixture.PurchaseOrders.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = order.Name });
        var events = await fixture.EventsAsync();

        Assert.Equal(first.Name, retried.Name);
        Assert.Equal((PurchaseOrderState.PartiallyReceived, 4m), (partial.State, partial.Lines[0].ReceivedQuantity.ToDecimal()));
        Assert.Equal((PurchaseOrderState.Received, 10m, 5m), (received.State, received.Lines[0].ReceivedQuantity.ToDecimal(), received.Lines[1].ReceivedQuantity.ToDecimal()));
        Assert.Equal((order.Supplier, order.ShipToLocation, "items/gauze-4x4"), (first.Supplier, first.ReceivingLocation, first.Lines[0].Item));
        Assert.Equal(2, events.Of(GoodsReceived.Descriptor.FullName, d => d["purchaseOrder"]?.GetValue<string>() == order.Name).Count);
    }

    [Fact]
    public async Task CreateGoodsReceipt_BeyondOrderedAndTolerance_FailedPreconditionNamingLineAndNothingCounted()
    {
        var order = await fixture.ApprovedOrderAsync(ProcurementFixture.NewSupplier());
        await fixture.ReceiveAsync(order, "", (1, 10));

        // 10 ordered, 5 % / 1 EA tolerance: 0.5 EA more is allowed, 1 more is not.
        var refused = await Assert.ThrowsAsync<RpcException>(() => fixture.ReceiveAsync(order, "", (2, 1), (1, 1)));
        var after = await fixture.PurchaseOrders.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = order.Name });

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("line 1", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("quantity tolerance 5% / 1", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((10m, 0m), (after.Lines[0].ReceivedQuantity.ToDecimal(), after.Lines[1].ReceivedQuantity.ToDecimal()));
    }

    [Fact]
    public async Task ReverseGoodsReceipt_TakesQuantitiesOffAndAnnouncesOnce()
    {
        var order = await fixture.ApprovedOrderAsync(ProcurementFixture.NewSupplier());
        var receipt = await fixture.ReceiveAsync(order, "", (1, 3));

        var reversed = await fixture.Receipts.ReverseGoodsReceiptAsync(new ReverseGoodsReceiptRequest { Name = receipt.Name, Reason = "damaged" });
        var again = await fixture.Receipts.ReverseGoodsReceiptAsync(new ReverseGoodsReceiptRequest { Name = receipt.Name, Reason = "damaged" });
        var after = await fixture.PurchaseOrders.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = order.Name });
        var events = await fixture.EventsAsync();

        Assert.Equal(("damaged", reversed.ReverseTime), (again.ReversalReason, again.ReverseTime));
        Assert.Equal((PurchaseOrderState.Sent, 0m), (after.State, after.Lines[0].ReceivedQuantity.ToDecimal()));
        Assert.Single(events.Of(GoodsReceiptReversed.Descriptor.FullName, d => d["goodsReceipt"]?["name"]?.GetValue<string>() == receipt.Name));
    }

    [Fact]
    public async Task MatchSupplierInvoice_WithinTolerance_MatchedAndOrderClosed()
    {
        var order = await fixture.ApprovedOrderAsync(ProcurementFixture.NewSupplier());
        var receipt = await fixture.ReceiveAsync(order, "", (1, 10), (2, 5));
        // 4.05 against 4.00 is within 2 % / 0.50.
        var invoice = await fixture.InvoiceAsync(order, 0, (1, 10, 4.05m), (2, 5, 20));

        var matched = await fixture.Invoices.MatchSupplierInvoiceAsync(new MatchSupplierInvoiceRequest { Name = invoice.Name });
        var closed = await fixture.PurchaseOrders.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = order.Name });
        var events = await fixture.EventsAsync();

        Assert.Equal((SupplierInvoiceState.Matched, InvoiceMatchStatus.Matched), (matched.State, matched.MatchStatus));
        Assert.Equal([receipt.Name], matched.GoodsReceipts);
        Assert.Equal((PurchaseOrderState.Closed, 10m), (closed.State, closed.Lines[0].InvoicedQuantity.ToDecimal()));
        Assert.Single(events.Of(InvoiceMatched.Descriptor.FullName, d => d["supplierInvoice"]?.GetValue<string>() == invoice.Name));
    }

    [Fact]
    public async Task MatchSupplierInvoice_PriceBeyondTolerance_OnHoldNamingLineToleranceAndExcessThenReleased()
    {
        var order = await fixture.ApprovedOrderAsync(ProcurementFixture.NewSupplier());
        await fixture.ReceiveAsync(order, "", (1, 10));
        var invoice = await fixture.InvoiceAsync(order, 0, (1, 10, 4.20m));

        var held = await fixture.Invoices.MatchSupplierInvoiceAsync(new MatchSupplierInvoiceRequest { Name = invoice.Name });
        var released = await fixture.Invoices.ReleaseSupplierInvoiceHoldAsync(new ReleaseSupplierInvoiceHoldRequest { Name = invoice.Name, Operator = "employees/ap-3", Comment = "price increase agreed" });
        var again = await fixture.Invoices.ReleaseSupplierInvoiceHoldAsync(new ReleaseSupplierInvoiceHoldRequest { Name = invoice.Name, Operator = "employees/ap-3" });
        var events = await fixture.EventsAsync();

        Assert.Equal((SupplierInvoiceState.OnHold, InvoiceMatchStatus.PriceVariance), (held.State, held.MatchStatus));
        var exception = Assert.Single(held.MatchExceptions);
        Assert.Equal(("PRICE_ABOVE_TOLERANCE", 1), (exception.Code, exception.PoLineNumber));
        Assert.Equal("line 1: billed 4.20 USD/EA, ordered 4.00: 0.20 USD above, beyond the price tolerance 2% / 0.5", exception.Description);
        Assert.Equal((SupplierInvoiceState.Matched, "employees/ap-3", "price increase agreed"), (released.State, released.HoldReleasedBy, released.HoldReleaseComment));
        Assert.Equal(released.Etag, again.Etag);
        Assert.Single(events.Of(InvoiceMatchFailed.Descriptor.FullName, d => d["supplierInvoice"]?.GetValue<string>() == invoice.Name));
        Assert.Single(events.Of(InvoiceMatched.Descriptor.FullName, d => d["supplierInvoice"]?.GetValue<string>() == invoice.Name));
    }

    [Fact]
    public async Task MatchSupplierInvoice_BeforeReceipt_ReceiptPendingThenMatchedOnceGoodsArrive()
    {
        var order = await fixture.ApprovedOrderAsync(ProcurementFixture.NewSupplier());
        var invoice = await fixture.InvoiceAsync(order, 0, (2, 5, 20));

        var early = await fixture.Invoices.MatchSupplierInvoiceAsync(new MatchSupplierInvoiceRequest { Name = invoice.Name });
        await fixture.ReceiveAsync(order, "", (2, 5));
        var matched = await fixture.Invoices.MatchSupplierInvoiceAsync(new MatchSupplierInvoiceRequest { Name = invoice.Name });

        Assert.Equal((InvoiceMatchStatus.ReceiptPending, "QUANTITY_NOT_RECEIVED"), (early.MatchStatus, Assert.Single(early.MatchExceptions).Code));
        Assert.Equal((SupplierInvoiceState.Matched, InvoiceMatchStatus.Matched), (matched.State, matched.MatchStatus));
    }

    [Fact]
    public async Task MatchSupplierInvoice_TotalAndQuantityWrong_MultipleVariancesEachNamed()
    {
        var order = await fixture.ApprovedOrderAsync(ProcurementFixture.NewSupplier());
        await fixture.ReceiveAsync(order, "", (1, 10));
        var invoice = await fixture.InvoiceAsync(order, 7.5m, (1, 12, 4));

        var held = await fixture.Invoices.MatchSupplierInvoiceAsync(new MatchSupplierInvoiceRequest { Name = invoice.Name });

        Assert.Equal(InvoiceMatchStatus.MultipleVariances, held.MatchStatus);
        Assert.Equal(["QUANTITY_ABOVE_ORDERED", "TOTAL_MISMATCH"], held.MatchExceptions.Select(e => e.Code));
    }

    [Fact]
    public async Task CreateSupplierInvoice_DuplicateNumberOrUnknownOrder_RefusedWithReason()
    {
        var order = await fixture.ApprovedOrderAsync(ProcurementFixture.NewSupplier());
        var first = await fixture.InvoiceAsync(order, 0, (1, 1, 4));
        var duplicate = first.Clone();
        duplicate.Name = "";
        var unknown = first.Clone();
        unknown.InvoiceNumber = "INV-OTHER";
        unknown.PurchaseOrder = "purchaseOrders/does-not-exist";

        var again = await Assert.ThrowsAsync<RpcException>(() => fixture.Invoices.CreateSupplierInvoiceAsync(new CreateSupplierInvoiceRequest { SupplierInvoice = duplicate }).ResponseAsync);
        var orphan = await Assert.ThrowsAsync<RpcException>(() => fixture.Invoices.CreateSupplierInvoiceAsync(new CreateSupplierInvoiceRequest { SupplierInvoice = unknown }).ResponseAsync);

        Assert.Equal(StatusCode.AlreadyExists, again.StatusCode);
        Assert.Equal(StatusCode.FailedPrecondition, orphan.StatusCode);
        Assert.Contains("supplier_invoice.purchase_order", orphan.Status.Detail, StringComparison.Ordinal);
    }
}
