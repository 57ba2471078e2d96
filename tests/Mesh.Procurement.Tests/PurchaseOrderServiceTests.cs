using Grpc.Core;
using Mesh.Contracts.Procurement.V1;
using Mesh.ErpStandIn;
using Mesh.Testing;

namespace Mesh.Procurement.Tests;

/// <summary>Purchase orders through the procurement app and the ERP stand-in's purchase order API.</summary>
public sealed class PurchaseOrderServiceTests(ProcurementFixture fixture) : IClassFixture<ProcurementFixture>
{
    [Fact]
    public async Task CreatePurchaseOrder_ComputesAmountsAndPoNumber()
    {
        var order = await fixture.PurchaseOrders.CreatePurchaseOrderAsync(new CreatePurchaseOrderRequest { PurchaseOrder = ProcurementFixture.Order(ProcurementFixture.NewSupplier()), PurchaseOrderId = $"po-{Guid.NewGuid():N}"[..12] });

        Assert.Equal((PurchaseOrderState.Draft, 140m, 143m), (order.State, order.Subtotal.ToDecimal(), order.Total.ToDecimal()));
        Assert.Equal([40m, 100m], order.Lines.Select(l => l.ExtendedAmount.ToDecimal()));
        Assert.Equal($"PO-{order.Name["purchaseOrders/".Length..].ToUpperInvariant()}", order.PoNumber);
    }

    [Fact]
    public async Task ApprovePurchaseOrder_ByBuyer_PermissionDenied()
    {
        var order = await fixture.PurchaseOrders.CreatePurchaseOrderAsync(new CreatePurchaseOrderRequest { PurchaseOrder = ProcurementFixture.Order(ProcurementFixture.NewSupplier()) });
        await fixture.PurchaseOrders.SubmitPurchaseOrderAsync(new SubmitPurchaseOrderRequest { Name = order.Name });

        var refused = await Assert.ThrowsAsync<RpcException>(() => fixture.PurchaseOrders.ApprovePurchaseOrderAsync(new ApprovePurchaseOrderRequest { Name = order.Name, Approver = order.Buyer }).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
    }

    [Fact]
    public async Task SendPurchaseOrder_Twice_AcknowledgedOnceAtErpAndApprovedAnnouncedOnce()
    {
        var supplier = ProcurementFixture.NewSupplier();
        var order = await fixture.ApprovedOrderAsync(supplier);
        var again = await fixture.PurchaseOrders.SendPurchaseOrderAsync(new SendPurchaseOrderRequest { Name = order.Name });
        var events = await fixture.EventsAsync();

        Assert.Equal(PurchaseOrderState.Sent, order.State);
        var erpId = Assert.Single(order.ExternalIds, e => e.System == "erp").Value;
        Assert.Equal(order.Etag, again.Etag);
        var atErp = Assert.Single(await fixture.ErpOrdersAsync(), o => o.Order.Supplier == supplier);
        Assert.Equal((erpId, "ACKNOWLEDGED", order.PoNumber), (atErp.OrderId, atErp.Status, atErp.Order.Reference));
        Assert.Single(events.Of(PurchaseOrderApproved.Descriptor.FullName, d => d["purchaseOrder"]?.GetValue<string>() == order.Name));
    }

    [Fact]
    public async Task SendPurchaseOrder_ErpDownThenBack_UnavailableThenSentOnce()
    {
        var supplier = ProcurementFixture.NewSupplier();
        var order = await fixture.ApprovedOrderAsync(supplier, send: false);
        fixture.ErpChaos.Settings = new ChaosSettings(ChaosMode.Down);
        RpcException down;
        try
        {
            down = await Assert.ThrowsAsync<RpcException>(() => fixture.PurchaseOrders.SendPurchaseOrderAsync(new SendPurchaseOrderRequest { Name = order.Name }).ResponseAsync);
        }
        finally
        {
            fixture.ErpChaos.Settings = new ChaosSettings(ChaosMode.Normal);
        }

        var still = await fixture.PurchaseOrders.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = order.Name });
        var sent = await fixture.PurchaseOrders.SendPurchaseOrderAsync(new SendPurchaseOrderRequest { Name = order.Name });

        Assert.Equal(StatusCode.Unavailable, down.StatusCode);
        Assert.Equal(PurchaseOrderState.Approved, still.State);
        Assert.Equal(PurchaseOrderState.Sent, sent.State);
        Assert.Single(await fixture.ErpOrdersAsync(), o => o.Order.Supplier == supplier);
    }

    [Fact]
    public async Task CancelPurchaseOrder_Sent_CancelledAtErpAndAnnounced()
    {
        var order = await fixture.ApprovedOrderAsync(ProcurementFixture.NewSupplier());

        var cancelled = await fixture.PurchaseOrders.CancelPurchaseOrderAsync(new CancelPurchaseOrderRequest { Name = order.Name, Comment = "no longer needed" });
        var events = await fixture.EventsAsync();

        Assert.Equal((PurchaseOrderState.Cancelled, "no longer needed"), (cancelled.State, cancelled.CancelReason));
        Assert.Equal("CANCELLED", Assert.Single(await fixture.ErpOrdersAsync(), o => o.OrderId == order.ExternalIds[0].Value).Status);
        var announced = PurchaseOrderCancelled.Parser.ParseJson(Assert.Single(events.Of(PurchaseOrderCancelled.Descriptor.FullName, d => d["purchaseOrder"]?.GetValue<string>() == order.Name))["data"]!.ToJsonString());
        Assert.True(announced.CancelledAtErp);
    }

    [Fact]
    public async Task CancelPurchaseOrder_AfterReceipt_FailedPrecondition()
    {
        var order = await fixture.ApprovedOrderAsync(ProcurementFixture.NewSupplier());
        await fixture.ReceiveAsync(order, "", (1, 2));

        var refused = await Assert.ThrowsAsync<RpcException>(() => fixture.PurchaseOrders.CancelPurchaseOrderAsync(new CancelPurchaseOrderRequest { Name = order.Name }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
    }

    [Fact]
    public async Task ListPurchaseOrders_BySupplier_OnlyThatSuppliersOrders()
    {
        var supplier = ProcurementFixture.NewSupplier();
        var mine = await fixture.ApprovedOrderAsync(supplier, send: false);
        await fixture.ApprovedOrderAsync(ProcurementFixture.NewSupplier(), send: false);

        var listed = await fixture.PurchaseOrders.ListPurchaseOrdersAsync(new ListPurchaseOrdersRequest { Supplier = supplier });

        Assert.Equal([mine.Name], listed.PurchaseOrders.Select(o => o.Name));
    }
}

