using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Resources;

namespace Mesh.Procurement.Domain;

/// <summary>
/// Purchase orders from DRAFT to the supplier: created and changed while DRAFT, submitted, approved by someone other
/// than the buyer (PurchaseOrderApproved), sent through the ERP's purchase order API (SENT once the ERP acknowledges
/// it), and cancelled (at the ERP too once sent) while nothing was received (PurchaseOrderCancelled).
/// </summary>
public sealed class PurchaseOrders(ResourceStore<PurchaseOrder> store, IErpPurchaseOrders erp, ContractEvents events, TimeProvider time)
{
    /// <summary>Creates a DRAFT order under <paramref name="purchaseOrderId"/>, or a new id.</summary>
    public Task<PurchaseOrder> CreateAsync(PurchaseOrder draft, string purchaseOrderId, string requestId, CancellationToken ct)
    {
        var order = draft.Clone();
        PurchaseOrderRules.Validate(order);
        var id = ResourceName.NewId(purchaseOrderId, "purchase_order_id");
        var now = Now();
        order.Name = ProcurementNames.PurchaseOrders.Of(id);
        order.PoNumber = PurchaseOrderRules.PoNumber(id);
        order.State = PurchaseOrderState.Draft;
        order.Approver = order.CancelReason = "";
        order.ApproveTime = order.SendTime = order.CancelTime = null;
        order.CreateTime = order.UpdateTime = now;
        return store.CreateAsync(id, order, requestId, ct);
    }

    /// <summary>Applies the fields <paramref name="mask"/> names to a DRAFT order.</summary>
    public Task<PurchaseOrder> UpdateAsync(PurchaseOrder change, FieldMask? mask, CancellationToken ct) =>
        StandardMethods.UpdateAsync(store, ProcurementNames.PurchaseOrders.IdOf(change.Name, "purchase_order.name"), change, mask, PurchaseOrderRules.UpdatablePaths, updated =>
        {
            RequireState(updated, PurchaseOrderState.Draft, "updated");
            PurchaseOrderRules.Validate(updated);
            updated.UpdateTime = Now();
        }, ct);

    /// <summary>Deletes a DRAFT order.</summary>
    public async Task DeleteAsync(string name, string etag, CancellationToken ct)
    {
        var id = ProcurementNames.PurchaseOrders.IdOf(name, "name");
        RequireState(await store.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(name), PurchaseOrderState.Draft, "deleted; cancel it instead");
        await StandardMethods.DeleteAsync(store, id, name, etag, ct);
    }

    /// <summary>DRAFT to PENDING_APPROVAL.</summary>
    public Task<PurchaseOrder> SubmitAsync(string name, string etag, CancellationToken ct) => ApplyAsync(name, etag, (order, _) =>
    {
        if (order.State == PurchaseOrderState.PendingApproval)
        {
            return Unchanged;
        }

        RequireState(order, PurchaseOrderState.Draft, "submitted");
        var submitted = Stamp(order);
        submitted.State = PurchaseOrderState.PendingApproval;
        return Task.FromResult<Change<PurchaseOrder>?>(new(submitted));
    }, ct);

    /// <summary>PENDING_APPROVAL to APPROVED by <paramref name="approver"/>, never the buyer, announcing PurchaseOrderApproved.</summary>
    public Task<PurchaseOrder> ApproveAsync(string name, string approver, string comment, string etag, CancellationToken ct)
    {
        ProcurementNames.Require(ProcurementNames.Employees, approver, "approver");
        return ApplyAsync(name, etag, (order, _) =>
        {
            if (order.State is PurchaseOrderState.Approved or PurchaseOrderState.Sent or PurchaseOrderState.PartiallyReceived or PurchaseOrderState.Received or PurchaseOrderState.Closed)
            {
                return Unchanged;
            }

            RequireState(order, PurchaseOrderState.PendingApproval, "approved");
            if (order.Buyer == approver)
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied, "approver must not be the order's buyer"));
            }

            var approved = Stamp(order);
            approved.State = PurchaseOrderState.Approved;
            approved.Approver = approver;
            approved.ApproveTime = approved.UpdateTime;
            return Task.FromResult<Change<PurchaseOrder>?>(new(approved, Approved(approved, comment)));
        }, ct);
    }

    /// <summary>
    /// Sends an APPROVED order through the ERP and moves it to SENT with the ERP's order id once acknowledged; UNAVAILABLE,
    /// leaving it APPROVED, while the ERP cannot be reached.
    /// </summary>
    public async Task<PurchaseOrder> SendAsync(string name, CancellationToken ct)
    {
        var id = ProcurementNames.PurchaseOrders.IdOf(name, "name");
        var order = await store.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(name);
        if (IsSent(order))
        {
            return order;
        }

        RequireState(order, PurchaseOrderState.Approved, "sent");
        var erpOrderId = Acknowledged(await erp.SendAsync(order, ct), "send");
        return await ApplyAsync(name, "", async (current, token) =>
        {
            if (IsSent(current))
            {
                return null;
            }

            if (current.State == PurchaseOrderState.Cancelled)
            {
                // Cancelled while the ERP took it: the ERP's copy must not stay open.
                Acknowledged(await erp.CancelAsync(current, erpOrderId, token), "cancel");
                throw ResourceErrors.FailedPrecondition($"{name} was cancelled while it was sent; it was cancelled at the ERP too");
            }

            var sent = Stamp(current);
            sent.State = PurchaseOrderState.Sent;
            sent.SendTime = sent.UpdateTime;
            sent.ExternalIds.Add(new ExternalId { System = PurchaseOrderRules.ErpSystem, Value = erpOrderId });
            return new Change<PurchaseOrder>(sent);
        }, ct);
    }

    /// <summary>
    /// Cancels an order on which nothing was received, at the ERP first when it was sent (UNAVAILABLE, changing nothing,
    /// while the ERP cannot be reached), announcing PurchaseOrderCancelled.
    /// </summary>
    public Task<PurchaseOrder> CancelAsync(string name, string comment, string etag, CancellationToken ct) => ApplyAsync(name, etag, async (order, token) =>
    {
        if (order.State == PurchaseOrderState.Cancelled)
        {
            return null;
        }

        if (PurchaseOrderRules.AnythingReceived(order) || order.State is PurchaseOrderState.Closed or PurchaseOrderState.Received or PurchaseOrderState.PartiallyReceived)
        {
            throw ResourceErrors.FailedPrecondition($"{order.Name} cannot be cancelled: goods were received on it; reverse the receipts first");
        }

        var erpOrderId = PurchaseOrderRules.ErpOrderId(order);
        if (erpOrderId.Length > 0)
        {
            Acknowledged(await erp.CancelAsync(order, erpOrderId, token), "cancel");
        }

        var cancelled = Stamp(order);
        cancelled.State = PurchaseOrderState.Cancelled;
        cancelled.CancelReason = comment;
        cancelled.CancelTime = cancelled.UpdateTime;
        return new Change<PurchaseOrder>(cancelled, new PurchaseOrderCancelled
        {
            Context = events.Context($"{cancelled.Name}.cancelled", cancelled.UpdateTime.ToDateTimeOffset(), correlationId: cancelled.Name),
            PurchaseOrder = cancelled.Name,
            PoNumber = cancelled.PoNumber,
            Supplier = cancelled.Supplier,
            CancelledAtErp = erpOrderId.Length > 0,
        });
    }, ct);

    private static Task<Change<PurchaseOrder>?> Unchanged => Task.FromResult<Change<PurchaseOrder>?>(null);

    private static bool IsSent(PurchaseOrder order) =>
        order.State is PurchaseOrderState.Sent or PurchaseOrderState.PartiallyReceived or PurchaseOrderState.Received or PurchaseOrderState.Closed;

    // The ERP's order id; UNAVAILABLE while the ERP cannot be reached, FAILED_PRECONDITION when it refuses.
    private static string Acknowledged(ErpOrderOutcome outcome, string what) => outcome switch
    {
        ErpOrderAcknowledged acknowledged => acknowledged.OrderId,
        ErpOrderRefused refused => throw ResourceErrors.FailedPrecondition($"the ERP refused the {what}: {refused.Code} {refused.Message}"),
        ErpOrderUnreachable unreachable => throw new RpcException(new Status(StatusCode.Unavailable, $"the ERP could not be reached to {what} the order ({unreachable.Reason}); nothing changed, retry")),
        _ => throw new InvalidOperationException($"unknown ERP outcome {outcome}"),
    };

    private PurchaseOrderApproved Approved(PurchaseOrder order, string comment) => new()
    {
        Context = events.Context($"{order.Name}.approved", order.UpdateTime.ToDateTimeOffset(), correlationId: order.Lines.FirstOrDefault(l => l.Requisition.Length > 0)?.Requisition ?? order.Name),
        PurchaseOrder = order.Name,
        PoNumber = order.PoNumber,
        Supplier = order.Supplier,
        BillToCostCenter = order.BillToCostCenter,
        ShipToLocation = order.ShipToLocation,
        Buyer = order.Buyer,
        Approver = order.Approver,
        ApproveTime = order.ApproveTime,
        Comment = comment,
        Lines = { order.Lines },
        Subtotal = order.Subtotal,
        Tax = order.Tax,
        Freight = order.Freight,
        Total = order.Total,
        PaymentTerms = order.PaymentTerms,
        ExternalIds = { order.ExternalIds },
    };

    private Task<PurchaseOrder> ApplyAsync(string name, string etag, Func<PurchaseOrder, CancellationToken, Task<Change<PurchaseOrder>?>> decide, CancellationToken ct) =>
        Transitions.ApplyAsync(store, ProcurementNames.PurchaseOrders.IdOf(name, "name"), name, etag, decide, ct);

    private static void RequireState(PurchaseOrder order, PurchaseOrderState state, string what)
    {
        if (order.State != state)
        {
            throw ResourceErrors.FailedPrecondition($"only a {Display(state)} purchase order can be {what}; {order.Name} is {Display(order.State)}");
        }
    }

    private static string Display(PurchaseOrderState state) => ProcurementNames.StateName(state, "PURCHASE_ORDER_STATE_");

    private PurchaseOrder Stamp(PurchaseOrder order)
    {
        var changed = order.Clone();
        changed.UpdateTime = Now();
        return changed;
    }

    private Timestamp Now() => Timestamp.FromDateTimeOffset(time.GetUtcNow());
}
