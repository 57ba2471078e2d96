using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Procurement.V1;
using Mesh.Procurement.Domain;
using Mesh.Resources;

namespace Mesh.Procurement.Grpc;

/// <summary>
/// mesh.procurement.v1.PurchaseOrderService: maps requests to <see cref="PurchaseOrders"/>; reads and lists come
/// straight from the store, and List filters by supplier so the partner gateway can scope a supplier to its own orders.
/// </summary>
public sealed class PurchaseOrderApi(ResourceStore<PurchaseOrder> store, PurchaseOrders orders) : PurchaseOrderService.PurchaseOrderServiceBase
{
    /// <inheritdoc />
    public override async Task<PurchaseOrder> GetPurchaseOrder(GetPurchaseOrderRequest request, ServerCallContext context) =>
        await store.GetAsync(ProcurementNames.PurchaseOrders.IdOf(request.Name, "name"), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);

    /// <inheritdoc />
    public override async Task<ListPurchaseOrdersResponse> ListPurchaseOrders(ListPurchaseOrdersRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var (page, next) = await Paging.PageAsync(await store.IdsAsync(ct), request.PageSize, request.PageToken, ids => store.GetManyAsync(ids, ct), o =>
            (request.State == PurchaseOrderState.Unspecified || o.State == request.State)
            && (request.Supplier.Length == 0 || o.Supplier == request.Supplier)
            && (request.PoNumber.Length == 0 || o.PoNumber == request.PoNumber));
        return new ListPurchaseOrdersResponse { PurchaseOrders = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override Task<PurchaseOrder> CreatePurchaseOrder(CreatePurchaseOrderRequest request, ServerCallContext context) =>
        orders.CreateAsync(request.PurchaseOrder ?? throw ResourceErrors.Invalid("purchase_order is required"), request.PurchaseOrderId, request.RequestId, context.CancellationToken);

    /// <inheritdoc />
    public override Task<PurchaseOrder> UpdatePurchaseOrder(UpdatePurchaseOrderRequest request, ServerCallContext context) =>
        orders.UpdateAsync(request.PurchaseOrder ?? throw ResourceErrors.Invalid("purchase_order is required"), request.UpdateMask, context.CancellationToken);

    /// <inheritdoc />
    public override async Task<Empty> DeletePurchaseOrder(DeletePurchaseOrderRequest request, ServerCallContext context)
    {
        await orders.DeleteAsync(request.Name, request.Etag, context.CancellationToken);
        return new Empty();
    }

    /// <inheritdoc />
    public override Task<PurchaseOrder> SubmitPurchaseOrder(SubmitPurchaseOrderRequest request, ServerCallContext context) =>
        orders.SubmitAsync(request.Name, request.Etag, context.CancellationToken);

    /// <inheritdoc />
    public override Task<PurchaseOrder> ApprovePurchaseOrder(ApprovePurchaseOrderRequest request, ServerCallContext context) =>
        orders.ApproveAsync(request.Name, request.Approver, request.Comment, request.Etag, context.CancellationToken);

    /// <inheritdoc />
    public override Task<PurchaseOrder> SendPurchaseOrder(SendPurchaseOrderRequest request, ServerCallContext context) =>
        orders.SendAsync(request.Name, context.CancellationToken);

    /// <inheritdoc />
    public override Task<PurchaseOrder> CancelPurchaseOrder(CancelPurchaseOrderRequest request, ServerCallContext context) =>
        orders.CancelAsync(request.Name, request.Comment, request.Etag, context.CancellationToken);
}
