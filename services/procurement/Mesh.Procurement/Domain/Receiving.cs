using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Resources;
using Microsoft.Extensions.Options;

namespace Mesh.Procurement.Domain;

/// <summary>
/// Goods receipts: a receipt and the received quantities it adds to its purchase order's lines commit in one
/// transaction with GoodsReceived, at the order's ETag, so racing deliveries on one order never lose a count and a
/// delivery beyond the order (past the quantity tolerance) is refused. A reversal (goods sent back) takes them off again
/// and announces GoodsReceiptReversed, unless they were invoiced.
/// </summary>
public sealed class Receiving(ResourceStore<GoodsReceipt> receipts, ResourceStore<PurchaseOrder> orders, ContractEvents events, IOptions<ProcurementOptions> options, TimeProvider time)
{
    /// <summary>The group (<see cref="ResourceStore{T}.InGroupAsync"/>) of the goods receipts of one purchase order, by order id.</summary>
    public const string OrderGroup = "order";

    private const int Attempts = 20;

    /// <summary>Records <paramref name="draft"/> under <paramref name="receiptId"/>, or a new id.</summary>
    public async Task<GoodsReceipt> CreateAsync(GoodsReceipt draft, string receiptId, string requestId, CancellationToken ct)
    {
        if (await receipts.FindByRequestAsync(requestId, ct) is { } earlier)
        {
            return earlier;
        }

        var orderId = ProcurementNames.PurchaseOrders.IdOf(draft.PurchaseOrder, "goods_receipt.purchase_order");
        ProcurementNames.Require(ProcurementNames.Employees, draft.ReceivedBy, "goods_receipt.received_by");
        ProcurementNames.Optional(ProcurementNames.Locations, draft.ReceivingLocation, "goods_receipt.receiving_location");
        var now = time.GetUtcNow();
        var id = ProcurementNames.NewestFirstId(receiptId, "goods_receipt_id", now);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var order = await orders.GetAsync(orderId, ct) ?? throw ResourceErrors.FailedPrecondition($"goods_receipt.purchase_order {draft.PurchaseOrder} does not exist");
            var (receipt, updated) = Plan(draft, id, order, Timestamp.FromDateTimeOffset(now));
            try
            {
                // The receipt joins its order's group in the same transaction, so a match reads only the order's receipts.
                return await receipts.CreateAsync(id, receipt, requestId, ct, async token =>
                    await orders.GetAsync(orderId, token) is { } still && still.Etag == order.Etag
                        ? [orders.ReplaceOperation(orderId, updated, order.Etag), await receipts.JoinGroupAsync(OrderGroup, orderId, id, token)]
                        : throw new StaleOrderException(),
                    [receipts.Announce(id, Received(receipt, updated))]);
            }
            catch (StaleOrderException)
            {
                // Another receipt or a match changed the order since it was read: plan again.
            }

            await StateTransactions.BackOffAsync(attempt, ct);
        }

        throw ResourceErrors.Aborted($"{draft.PurchaseOrder} is too busy; retry");
    }

    /// <summary>Marks a receipt reversed and takes its quantities off its order, announcing GoodsReceiptReversed.</summary>
    public Task<GoodsReceipt> ReverseAsync(string name, string reason, CancellationToken ct)
    {
        if (reason.Length == 0)
        {
            throw ResourceErrors.Invalid("reason is required");
        }

        return Transitions.ApplyAsync(receipts, ProcurementNames.GoodsReceipts.IdOf(name, "name"), name, "", async (receipt, token) =>
        {
            if (receipt.ReverseTime is not null)
            {
                return null;
            }

            var orderId = ProcurementNames.PurchaseOrders.IdOf(receipt.PurchaseOrder, "purchase_order");
            var order = await orders.GetAsync(orderId, token) ?? throw ResourceErrors.NotFound(receipt.PurchaseOrder);
            var updated = order.Clone();
            foreach (var line in receipt.Lines)
            {
                var target = updated.Lines.First(l => l.LineNumber == line.PoLineNumber);
                var remaining = Amounts.Of(target.ReceivedQuantity) - Amounts.Of(line.ReceivedQuantity);
                if (Amounts.Of(target.InvoicedQuantity) > remaining)
                {
                    throw ResourceErrors.FailedPrecondition($"line {line.PoLineNumber} of {receipt.Name} was invoiced already; settle it with a credit note");
                }

                target.ReceivedQuantity = Quantity.Of(remaining, target.OrderedQuantity.Unit);
            }

            var reversed = receipt.Clone();
            reversed.ReverseTime = Timestamp.FromDateTimeOffset(time.GetUtcNow());
            reversed.ReversalReason = reason;
            updated.State = PurchaseOrderRules.AfterQuantitiesChanged(updated);
            updated.UpdateTime = reversed.ReverseTime;
            return new Change<GoodsReceipt>(reversed, new GoodsReceiptReversed
            {
                Context = events.Context($"{receipt.Name}.reversed", reversed.ReverseTime.ToDateTimeOffset(), correlationId: receipt.PurchaseOrder),
                GoodsReceipt = reversed,
                PurchaseOrderState = updated.State,
            }, [orders.ReplaceOperation(orderId, updated, order.Etag)]);
        }, ct);
    }

    // The receipt to record and its order with the received quantities added; refusals name the line and rule.
    private (GoodsReceipt Receipt, PurchaseOrder Order) Plan(GoodsReceipt draft, string id, PurchaseOrder order, Timestamp now)
    {
        if (order.State is not (PurchaseOrderState.Approved or PurchaseOrderState.Sent or PurchaseOrderState.PartiallyReceived))
        {
            throw ResourceErrors.FailedPrecondition($"goods can be received only on an APPROVED, SENT or PARTIALLY_RECEIVED purchase order; {order.Name} is {ProcurementNames.StateName(order.State, "PURCHASE_ORDER_STATE_")}");
        }

        if (draft.Lines.Count == 0)
        {
            throw ResourceErrors.Invalid("goods_receipt.lines must have at least one line");
        }

        var receipt = draft.Clone();
        var updated = order.Clone();
        var tolerance = options.Value.Quantity;
        for (var i = 0; i < receipt.Lines.Count; i++)
        {
            var line = receipt.Lines[i];
            var field = $"goods_receipt.lines[{i}]";
            var target = updated.Lines.FirstOrDefault(l => l.LineNumber == line.PoLineNumber)
                ?? throw ResourceErrors.Invalid($"{field}.po_line_number {line.PoLineNumber} is not a line of {order.Name}");
            if (line.Item.Length > 0 && line.Item != target.Item)
            {
                throw ResourceErrors.Invalid($"{field}.item must be the item of purchase order line {line.PoLineNumber}");
            }

            line.Item = target.Item;
            var unit = target.OrderedQuantity.Unit;
            if (line.ReceivedQuantity is null || line.ReceivedQuantity.Unit != unit || line.ReceivedQuantity.ToDecimal() < 0
                || (line.RejectedQuantity is { } rejected && (rejected.Unit != unit || rejected.ToDecimal() < 0)))
            {
                throw ResourceErrors.Invalid($"{field}.received_quantity is required, not negative, in the purchase order line's unit {unit} (rejected_quantity too)");
            }

            var ordered = target.OrderedQuantity.ToDecimal();
            var after = Amounts.Of(target.ReceivedQuantity) + line.ReceivedQuantity.ToDecimal();
            if (after - ordered > tolerance.Allowed(ordered))
            {
                throw ResourceErrors.FailedPrecondition(
                    $"{field}: line {line.PoLineNumber} would be received {after} {unit} in all against {ordered} ordered: {after - ordered} {unit} over, beyond the quantity tolerance {tolerance.Display()}");
            }

            target.ReceivedQuantity = Quantity.Of(after, unit);
        }

        if (receipt.Lines.All(l => l.ReceivedQuantity.ToDecimal() == 0 && Amounts.Of(l.RejectedQuantity) == 0))
        {
            throw ResourceErrors.Invalid("goods_receipt.lines must receive or reject something");
        }

        receipt.Name = ProcurementNames.GoodsReceipts.Of(id);
        receipt.Supplier = order.Supplier;
        receipt.ReceivingLocation = receipt.ReceivingLocation.Length > 0 ? receipt.ReceivingLocation : order.ShipToLocation;
        receipt.ReceiveTime ??= now;
        receipt.CreateTime = now;
        receipt.StockMovements.Clear();
        receipt.ReverseTime = null;
        receipt.ReversalReason = "";
        updated.State = PurchaseOrderRules.AfterQuantitiesChanged(updated);
        updated.UpdateTime = now;
        return (receipt, updated);
    }

    private GoodsReceived Received(GoodsReceipt receipt, PurchaseOrder order) => new()
    {
        Context = events.Context($"{receipt.Name}.received", receipt.CreateTime.ToDateTimeOffset(), correlationId: order.Name),
        GoodsReceipt = receipt.Name,
        PurchaseOrder = order.Name,
        PoNumber = order.PoNumber,
        Supplier = order.Supplier,
        BillToCostCenter = order.BillToCostCenter,
        ReceivingLocation = receipt.ReceivingLocation,
        ReceivedBy = receipt.ReceivedBy,
        ReceiveTime = receipt.ReceiveTime,
        PackingSlipNumber = receipt.PackingSlipNumber,
        Lines = { receipt.Lines },
        ReceivedValue = Money.Of(order.CurrencyCode, Amounts.Cents(receipt.Lines.Sum(l =>
            l.ReceivedQuantity.ToDecimal() * order.Lines.First(o => o.LineNumber == l.PoLineNumber).UnitPrice.ToDecimal()))),
        PurchaseOrderState = order.State,
    };

    private sealed class StaleOrderException : Exception;
}
