using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Workflows.V1;
using Mesh.Testing;

namespace Mesh.ProcureToPay.Tests;

/// <summary>The ProcureToPay saga end to end through the runtime, on real Redis, with every app wired as in production.</summary>
public sealed partial class ProcureToPayTests(ProcureToPayMesh mesh) : IClassFixture<ProcureToPayMesh>
{
    [Fact]
    public async Task Requisition_ApprovedWithPartialReceipts_OnePoPerSupplierStockOnHandAndEachInvoicePostedOnce()
    {
        var requisition = await mesh.SubmitAsync(("items/gauze-4x4", 10), ("items/suture-3-0", 4));
        await mesh.RoutedToAsync(requisition, "employees/ward-manager");
        await mesh.Requisitions.ApproveRequisitionAsync(new ApproveRequisitionRequest { Name = requisition.Name, Reviewer = "employees/ward-manager" });
        var (sutures, gauze) = (await mesh.SentOrderAsync(requisition, 1), await mesh.SentOrderAsync(requisition, 2));

        await mesh.ReceiveAsync(gauze, 4);
        await mesh.ReceiveAsync(gauze, 6);
        await mesh.ReceiveAsync(sutures, 4);
        await mesh.InvoiceAsync(gauze);
        await mesh.InvoiceAsync(sutures);
        var completed = await mesh.CaseAsync(requisition, CaseState.Completed);
        var balance = await mesh.Inventory.GetInventoryBalanceAsync(new GetInventoryBalanceRequest { Name = $"{requisition.DeliverToLocation}/balances/gauze-4x4" });

        Assert.Equal(("suppliers/cardinal", "suppliers/medline"), (sutures.Supplier, gauze.Supplier));
        Assert.Equal(("completed", "employees/ward-manager", 0), (completed.ProcureToPay.Outcome, completed.ProcureToPay.Approver, completed.ProcureToPay.Escalations));
        Assert.Equal(3, completed.ProcureToPay.GoodsReceipts.Count);
        Assert.Equal(3, completed.ProcureToPay.StockMovements.Count);
        Assert.Equal(10m, balance.OnHand.ToDecimal());
        Assert.Equal(2, completed.ProcureToPay.JournalEntries.Distinct().Count());
        Assert.Equal(2, (await mesh.ErpOrdersAsync()).Count(o => o.Order.Reference == gauze.PoNumber || o.Order.Reference == sutures.PoNumber));
    }

    [Theory]
    [InlineData("items/no-such-item", "unknown_item", "lines[1].item")]
    [InlineData("items/stent-old", "inactive_supplier", "lines[1].suggested_supplier")]
    public async Task Requisition_FailsMasterData_ExceptionNamingLineAndRequisitionCancelled(string item, string reason, string field)
    {
        var requisition = await mesh.SubmitAsync((item, 1));

        var refused = await mesh.CaseAsync(requisition, CaseState.Exception, reason);
        var after = await mesh.Requisitions.GetRequisitionAsync(new GetRequisitionRequest { Name = requisition.Name });

        Assert.Contains(field, refused.Detail, StringComparison.Ordinal);
        Assert.Equal(RequisitionState.Cancelled, after.State);
        Assert.Empty(refused.ProcureToPay.PurchaseOrders);
    }

    [Fact]
    public async Task Invoice_PriceBeyondTolerance_OnExceptionQueueUntilOperatorReleasesThroughCaseApiThenPostedOnceInTheSameRun()
    {
        var (_, invoice, held) = await mesh.HeldAsync();
        var requestId = Guid.NewGuid().ToString();

        var answer = await mesh.ReleaseHoldAsync(held, OperatorTokens.Mint("ap-3"), requestId: requestId);
        var completed = await mesh.CaseAsync(new Requisition { Name = held.ProcureToPay.Requisition }, CaseState.Completed);
        var released = await mesh.Invoices.GetSupplierInvoiceAsync(new GetSupplierInvoiceRequest { Name = invoice.Name });
        var audit = (await mesh.PublishedAsync("workflows.audit")).Select(e => e["data"]!);

        Assert.Contains("PRICE_ABOVE_TOLERANCE: line 1", held.Detail, StringComparison.Ordinal);
        Assert.Equal([invoice.Name], held.ProcureToPay.HeldSupplierInvoices);
        Assert.Equal((invoice.Name, "employees/ap-3"), (answer.SupplierInvoice, answer.Operator));
        Assert.Equal(("employees/ap-3", "price increase agreed"), (released.HoldReleasedBy, released.HoldReleaseComment));
        Assert.Equal([invoice.Name], completed.ProcureToPay.SupplierInvoices);
        Assert.Empty(completed.ProcureToPay.HeldSupplierInvoices);
        Assert.Single(completed.ProcureToPay.JournalEntries);
        // Released, the waiting saga resumed: the case has one run, the held exception's and the completion's alike.
        var run = $"p2p-{held.ProcureToPay.Requisition["requisitions/".Length..]}";
        Assert.Equal([run], held.RunInstanceIds);
        Assert.Equal([run], completed.RunInstanceIds);
        var entry = Assert.Single(audit, e => (string?)e["requestId"] == requestId);
        Assert.Equal(("ap-3", "release-hold", held.Name, "OK"), ((string?)entry["subject"], (string?)entry["action"], (string?)entry["case"], (string?)entry["outcome"]));
    }

    [Fact]
    public async Task Invoice_BeforeItsReceipt_WaitsAndMatchesOnceGoodsArrive()
    {
        var requisition = await mesh.SubmitAsync(("items/gauze-4x4", 50));
        await mesh.RoutedToAsync(requisition, "employees/ward-manager");
        await mesh.Requisitions.ApproveRequisitionAsync(new ApproveRequisitionRequest { Name = requisition.Name, Reviewer = "employees/ward-manager" });
        var order = await mesh.SentOrderAsync(requisition, 1);

        var invoice = await mesh.InvoiceAsync(order);
        await mesh.EventuallyAsync(async () => (await mesh.Invoices.GetSupplierInvoiceAsync(new GetSupplierInvoiceRequest { Name = invoice.Name })).MatchStatus == InvoiceMatchStatus.ReceiptPending, "the early invoice matched as RECEIPT_PENDING");
        await mesh.ReceiveAsync(order, 50);
        var completed = await mesh.CaseAsync(requisition, CaseState.Completed);

        Assert.Equal([invoice.Name], completed.ProcureToPay.SupplierInvoices);
        Assert.Single(completed.ProcureToPay.JournalEntries);
    }
}

/// <summary>Escalation: the approvers' window is a durable workflow timer, on a clock the test moves.</summary>
public sealed class EscalationTests(EscalationClockMesh mesh) : IClassFixture<EscalationClockMesh>
{
    [Fact]
    public async Task Requisition_NoDecisionWithinWindow_EscalatesToNextLevelThenRejectionEndsCase()
    {
        var requisition = await mesh.SubmitAsync(("items/gauze-4x4", 2));
        await mesh.RoutedToAsync(requisition, "employees/ward-manager");
        // The saga waits for the decision on a durable timer of the whole window; once the engine armed it, two days pass.
        await mesh.Clock.WaitForArmedAsync(mesh.EscalationWindow, TimeSpan.FromSeconds(60));
        mesh.Clock.Advance(mesh.EscalationWindow);

        await mesh.RoutedToAsync(requisition, "employees/supply-director");
        await mesh.Requisitions.RejectRequisitionAsync(new RejectRequisitionRequest { Name = requisition.Name, Reviewer = "employees/supply-director", Reason = "use ward stock" });
        var ended = await mesh.CaseAsync(requisition, CaseState.Completed);

        Assert.Equal(("rejected", "use ward stock", "employees/supply-director", 1), (ended.ProcureToPay.Outcome, ended.Detail, ended.ProcureToPay.Approver, ended.ProcureToPay.Escalations));
        Assert.Empty(ended.ProcureToPay.PurchaseOrders);
    }
}
