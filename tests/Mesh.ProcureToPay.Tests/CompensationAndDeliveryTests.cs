using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Contracts.Workflows.V1;
using Mesh.ErpStandIn;

namespace Mesh.ProcureToPay.Tests;

/// <summary>The saga under an ERP outage, duplicate deliveries, returned goods and a cancelled order.</summary>
public sealed class CompensationAndDeliveryTests(ProcureToPayMesh mesh) : IClassFixture<ProcureToPayMesh>
{
    [Fact]
    public async Task Order_ErpDownWhileSending_RetriedUntilBackAndSentOnce()
    {
        var requisition = await mesh.SubmitAsync(("items/gauze-4x4", 8));
        await mesh.RoutedToAsync(requisition, "employees/ward-manager");
        mesh.ErpChaos.Settings = new ChaosSettings(ChaosMode.Down);
        try
        {
            await mesh.Requisitions.ApproveRequisitionAsync(new ApproveRequisitionRequest { Name = requisition.Name, Reviewer = "employees/ward-manager" });
            await mesh.EventuallyAsync(async () => (await mesh.Orders.ListPurchaseOrdersAsync(new ListPurchaseOrdersRequest { State = PurchaseOrderState.Approved })).PurchaseOrders.Any(o => o.Lines[0].Requisition == requisition.Name),
                "the order approved and waiting for the ERP");
        }
        finally
        {
            mesh.ErpChaos.Settings = new ChaosSettings(ChaosMode.Normal);
        }

        var order = await mesh.SentOrderAsync(requisition, 1);

        Assert.Single(await mesh.ErpOrdersAsync(), o => o.Order.Reference == order.PoNumber);
        Assert.Equal(order.ExternalIds[0].Value, (await mesh.ErpOrdersAsync()).Single(o => o.Order.Reference == order.PoNumber).OrderId);
    }

    [Fact]
    public async Task Order_LeftApprovedByAnEarlierAttemptOfThePlacingStep_SentOnce()
    {
        var requisition = await mesh.SubmitAsync(("items/gauze-4x4", 8));
        await mesh.RoutedToAsync(requisition, "employees/ward-manager");
        // What an attempt of the saga's placing step leaves when its worker dies before the send: the order under the
        // step's own id and request id, submitted and approved in the approver's name.
        var id = $"{requisition.Name["requisitions/".Length..]}-1";
        var left = await mesh.Orders.CreatePurchaseOrderAsync(new CreatePurchaseOrderRequest
        {
            PurchaseOrderId = id,
            RequestId = $"{requisition.Name}:{id}",
            PurchaseOrder = new PurchaseOrder
            {
                Supplier = "suppliers/medline",
                BillToCostCenter = requisition.CostCenter,
                ShipToLocation = requisition.DeliverToLocation,
                Buyer = "employees/procurement-buyer",
                CurrencyCode = "USD",
                Lines =
                {
                    new PurchaseOrderLine
                    {
                        LineNumber = 1, Item = "items/gauze-4x4", OrderedQuantity = Quantity.Of(8, "EA"), UnitPrice = Money.Of("USD", 0.25m),
                        Requisition = requisition.Name, RequisitionLineNumber = 1,
                    },
                },
            },
        });
        await mesh.Orders.SubmitPurchaseOrderAsync(new SubmitPurchaseOrderRequest { Name = left.Name });
        await mesh.Orders.ApprovePurchaseOrderAsync(new ApprovePurchaseOrderRequest { Name = left.Name, Approver = "employees/ward-manager" });

        await mesh.Requisitions.ApproveRequisitionAsync(new ApproveRequisitionRequest { Name = requisition.Name, Reviewer = "employees/ward-manager" });
        var order = await mesh.SentOrderAsync(requisition, 1);

        Assert.Equal(left.Name, order.Name);
        Assert.Single(await mesh.ErpOrdersAsync(), o => o.Order.Reference == order.PoNumber);
    }

    [Fact]
    public async Task Invoice_ErpThrottlingThenDownWhileItsLiabilityPosts_PostedOnceWhenBack()
    {
        var requisition = await mesh.SubmitAsync(("items/gauze-4x4", 10));
        await mesh.RoutedToAsync(requisition, "employees/ward-manager");
        await mesh.Requisitions.ApproveRequisitionAsync(new ApproveRequisitionRequest { Name = requisition.Name, Reviewer = "employees/ward-manager" });
        var order = await mesh.SentOrderAsync(requisition, 1);
        await mesh.ReceiveAsync(order, 10);

        SupplierInvoice invoice;
        try
        {
            // Each phase lasts until the ERP has turned away a few of finance's attempts to post the liability.
            invoice = await TurnAwayAsync(ChaosMode.Throttle, () => mesh.InvoiceAsync(order));
            await TurnAwayAsync(ChaosMode.Down, () => Task.FromResult(invoice));
        }
        finally
        {
            mesh.ErpChaos.Settings = new ChaosSettings(ChaosMode.Normal);
        }

        var completed = await mesh.CaseAsync(requisition, CaseState.Completed);
        var postings = await new Mesh.Scenarios.InventoryToChargeScenario(mesh.Clients).ErpPostingsAsync(CancellationToken.None);

        Assert.Single(completed.ProcureToPay.JournalEntries);
        Assert.Single(postings, p => p.Reference == invoice.Name);
    }

    // Switches the ERP to `mode`, does `act`, and waits until the ERP has turned away three more requests.
    private async Task<T> TurnAwayAsync<T>(ChaosMode mode, Func<Task<T>> act)
    {
        var target = mesh.ErpChaos.Hits[mode] + 3;
        mesh.ErpChaos.Settings = new ChaosSettings(mode);
        var result = await act();
        await mesh.EventuallyAsync(() => Task.FromResult(mesh.ErpChaos.Hits[mode] >= target), $"the ERP turning away the liability posting ({mode})");
        return result;
    }

    [Fact]
    public async Task Receipt_DeliveredTwiceAndReversed_StockMovedOnceThenTakenOffAndCaseCompletes()
    {
        var requisition = await mesh.SubmitAsync(("items/gauze-4x4", 12));
        await mesh.RoutedToAsync(requisition, "employees/ward-manager");
        await mesh.Requisitions.ApproveRequisitionAsync(new ApproveRequisitionRequest { Name = requisition.Name, Reviewer = "employees/ward-manager" });
        var order = await mesh.SentOrderAsync(requisition, 1);
        var balance = $"{requisition.DeliverToLocation}/balances/gauze-4x4";

        var damaged = await mesh.ReceiveAsync(order, 12);
        await mesh.RedeliverAsync(new GoodsReceived { PurchaseOrder = order.Name, GoodsReceipt = damaged.Name, PurchaseOrderState = PurchaseOrderState.Received });
        await mesh.EventuallyAsync(async () => await OnHandAsync(balance) == 12, "the receipt on hand");
        await mesh.Receipts.ReverseGoodsReceiptAsync(new ReverseGoodsReceiptRequest { Name = damaged.Name, Reason = "damaged" });
        await mesh.EventuallyAsync(async () => await OnHandAsync(balance) == 0, "the returned goods off hand");
        await mesh.ReceiveAsync(order, 12);
        var invoice = await mesh.InvoiceAsync(order);
        await mesh.RedeliverAsync(new SupplierInvoiceReceived { SupplierInvoice = invoice });
        var completed = await mesh.CaseAsync(requisition, CaseState.Completed);
        var timeline = await mesh.Cases.GetCaseTimelineAsync(new GetCaseTimelineRequest { Name = completed.Name + "/timeline" });

        Assert.Equal(12m, await OnHandAsync(balance));
        Assert.Single(completed.ProcureToPay.GoodsReceipts);
        Assert.Single(completed.ProcureToPay.JournalEntries);
        // The timeline shows the wait for the approver's decision (its escalation timer stands for no entry of its own)
        // and the reversed receipt taken off hand as a compensation, after the receipt was put on hand.
        Assert.Contains(timeline.Entries, e => e is { Kind: TimelineEntryKind.Wait, Step: "decision", Outcome: TimelineOutcome.Completed });
        Assert.DoesNotContain(timeline.Entries, e => e.Kind == TimelineEntryKind.Timer);
        var steps = timeline.Entries.Where(e => e.Kind == TimelineEntryKind.Step).ToList();
        var putOn = steps.FindIndex(e => e.Step == "PutReceiptOnHand");
        var takenOff = steps.FindIndex(e => e.Step == "TakeReceiptOffHand");
        Assert.InRange(putOn, 0, takenOff - 1);
        Assert.Equal((true, TimelineOutcome.Completed), (steps[takenOff].Compensation, steps[takenOff].Outcome));
        Assert.DoesNotContain(steps, e => e.Compensation && e.Step != "TakeReceiptOffHand");
    }

    [Fact]
    public async Task Order_CancelledBeforeReceipt_CancelledAtErpAndCaseCompletesWithNothingOwed()
    {
        var requisition = await mesh.SubmitAsync(("items/suture-3-0", 3));
        await mesh.RoutedToAsync(requisition, "employees/ward-manager");
        await mesh.Requisitions.ApproveRequisitionAsync(new ApproveRequisitionRequest { Name = requisition.Name, Reviewer = "employees/ward-manager" });
        var order = await mesh.SentOrderAsync(requisition, 1);

        await mesh.Orders.CancelPurchaseOrderAsync(new CancelPurchaseOrderRequest { Name = order.Name, Comment = "bought elsewhere" });
        var completed = await mesh.CaseAsync(requisition, CaseState.Completed);

        Assert.Equal("CANCELLED", (await mesh.ErpOrdersAsync()).Single(o => o.Order.Reference == order.PoNumber).Status);
        Assert.Empty(completed.ProcureToPay.JournalEntries);
        Assert.Empty(completed.ProcureToPay.StockMovements);
    }

    private async Task<decimal> OnHandAsync(string balance)
    {
        try
        {
            return (await mesh.Inventory.GetInventoryBalanceAsync(new GetInventoryBalanceRequest { Name = balance })).OnHand.ToDecimal();
        }
        catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.NotFound)
        {
            return 0;
        }
    }
}
