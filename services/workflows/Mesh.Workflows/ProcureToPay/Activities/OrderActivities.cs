using Dapr.Workflow;
using Grpc.Core;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Procurement.V1;

namespace Mesh.Workflows.ProcureToPay.Activities;

/// <summary>
/// Puts a receipt's accepted goods on hand: one RECEIPT movement per line at the receiving location through inventory,
/// with the receipt as source document and a request id per receipt line, so a retried step moves stock once. The
/// receipts' events may arrive in any order, so the order's other receipts (not reversed) go on hand with it: once the
/// order reads as received in full, every receipt that made it so is on hand, even one whose event is still on its way.
/// </summary>
public sealed class PutReceiptOnHand(
    ProcureToPayMetrics metrics,
    GoodsReceiptService.GoodsReceiptServiceClient receipts, PurchaseOrderService.PurchaseOrderServiceClient orders, InventoryService.InventoryServiceClient inventory)
    : WorkflowActivity<string, StockMoved>
{
    /// <inheritdoc />
    public override async Task<StockMoved> RunAsync(WorkflowActivityContext context, string input)
    {
        metrics.Progressed(context.InstanceId, nameof(PutReceiptOnHand));
        var receipt = await receipts.GetGoodsReceiptAsync(new GetGoodsReceiptRequest { Name = input });
        // Read before the receipts are listed: every receipt that made the order received in full is then listed.
        var received = await OrderStates.ReceivedInFullAsync(orders, receipt.PurchaseOrder);
        var siblings = await receipts.ListGoodsReceiptsAsync(new ListGoodsReceiptsRequest { PurchaseOrder = receipt.PurchaseOrder, PageSize = 1000 });
        var onHand = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var each in siblings.GoodsReceipts.Where(r => r.ReverseTime is null && r.Name != receipt.Name).Prepend(receipt))
        {
            onHand[each.Name] = await MoveAsync(each);
        }

        return new StockMoved(onHand[receipt.Name], receipt.PurchaseOrder, received, onHand);
    }

    private async Task<List<string>> MoveAsync(GoodsReceipt receipt)
    {
        var moved = new List<string>();
        foreach (var line in receipt.Lines.Where(l => l.ReceivedQuantity.ToDecimal() > 0))
        {
            var movement = await inventory.CreateStockMovementAsync(new CreateStockMovementRequest
            {
                Parent = receipt.ReceivingLocation,
                RequestId = $"{receipt.Name}:line-{line.PoLineNumber}",
                StockMovement = new StockMovement { Type = StockMovementType.Receipt, Item = line.Item, Delta = line.ReceivedQuantity, SourceDocument = receipt.Name },
            });
            moved.Add(movement.Name);
        }

        return moved;
    }
}

/// <summary>Whether an order is received in full, as procurement says now.</summary>
internal static class OrderStates
{
    public static async Task<bool> ReceivedInFullAsync(PurchaseOrderService.PurchaseOrderServiceClient orders, string order) =>
        (await orders.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = order })).State is PurchaseOrderState.Received or PurchaseOrderState.Closed;
}

/// <summary>Reverses the stock movements of a reversed receipt (goods sent back), once each.</summary>
public sealed class TakeReceiptOffHand(ProcureToPayMetrics metrics, InventoryService.InventoryServiceClient inventory, PurchaseOrderService.PurchaseOrderServiceClient orders) : WorkflowActivity<StockMoved, StockMoved>
{
    /// <inheritdoc />
    public override async Task<StockMoved> RunAsync(WorkflowActivityContext context, StockMoved input)
    {
        metrics.Progressed(context.InstanceId, nameof(TakeReceiptOffHand));
        var reversals = new List<string>();
        foreach (var name in input.Movements)
        {
            var original = await inventory.GetStockMovementAsync(new GetStockMovementRequest { Name = name });
            var reversal = await inventory.CreateStockMovementAsync(new CreateStockMovementRequest
            {
                Parent = original.Location,
                RequestId = $"{name}:reversal",
                StockMovement = new StockMovement { Type = StockMovementType.Reversal, Item = original.Item, Delta = Mesh.Contracts.Type.V1.Quantity.Of(-original.Delta.ToDecimal(), original.Delta.Unit), Reverses = name, SourceDocument = original.SourceDocument },
            });
            reversals.Add(reversal.Name);
        }

        return new StockMoved(reversals, input.PurchaseOrder, await OrderStates.ReceivedInFullAsync(orders, input.PurchaseOrder));
    }
}

/// <summary>Runs the three-way match of an invoice; answers MATCHED, or the hold with its exceptions.</summary>
public sealed class MatchInvoice(ProcureToPayMetrics metrics, SupplierInvoiceService.SupplierInvoiceServiceClient invoices) : WorkflowActivity<string, Matched>
{
    /// <inheritdoc />
    public override async Task<Matched> RunAsync(WorkflowActivityContext context, string input)
    {
        metrics.Progressed(context.InstanceId, nameof(MatchInvoice));
        var invoice = await invoices.MatchSupplierInvoiceAsync(new MatchSupplierInvoiceRequest { Name = input });
        return invoice.State == SupplierInvoiceState.Matched
            ? new Matched(true, false, "MATCHED", "")
            : new Matched(false, invoice.MatchStatus == InvoiceMatchStatus.ReceiptPending, invoice.MatchStatus.ToString(),
                string.Join("; ", invoice.MatchExceptions.Select(e => $"{e.Code}: {e.Description}")));
    }
}

/// <summary>Posts a matched invoice's liability through finance, once per invoice (its request id).</summary>
public sealed class PostLiability(
    ProcureToPayMetrics metrics,
    SupplierInvoiceService.SupplierInvoiceServiceClient invoices, PurchaseOrderService.PurchaseOrderServiceClient orders, JournalEntryService.JournalEntryServiceClient journal)
    : WorkflowActivity<string, string>
{
    /// <inheritdoc />
    public override async Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        metrics.Progressed(context.InstanceId, nameof(PostLiability));
        var invoice = await invoices.GetSupplierInvoiceAsync(new GetSupplierInvoiceRequest { Name = input });
        var order = await orders.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = invoice.PurchaseOrder });
        var entry = await journal.PostSupplierInvoiceLiabilityAsync(new PostSupplierInvoiceLiabilityRequest
        {
            SupplierInvoice = invoice.Name,
            Supplier = invoice.Supplier,
            CostCenter = order.BillToCostCenter,
            Amount = invoice.Total,
            InvoiceTime = invoice.InvoiceTime,
            RequestId = $"{invoice.Name}:liability",
        });
        return entry.Name;
    }
}

/// <summary>Cancels the saga's orders on which nothing was received (at the ERP too), for a case that cannot go on.</summary>
public sealed class CancelOrders(ProcureToPayMetrics metrics, PurchaseOrderService.PurchaseOrderServiceClient orders) : WorkflowActivity<Cancellation, List<string>>
{
    /// <inheritdoc />
    public override async Task<List<string>> RunAsync(WorkflowActivityContext context, Cancellation input)
    {
        metrics.Progressed(context.InstanceId, nameof(CancelOrders));
        var cancelled = new List<string>();
        foreach (var name in input.Names)
        {
            try
            {
                await orders.CancelPurchaseOrderAsync(new CancelPurchaseOrderRequest { Name = name, Comment = input.Reason });
                cancelled.Add(name);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.NotFound or StatusCode.FailedPrecondition)
            {
                // Never created, or goods were received on it: it stays for the receipts to be settled.
            }
        }

        return cancelled;
    }
}
