using Grpc.Core;
using Mesh.Contracts.Procurement.V1;
using Mesh.Procurement.Domain;
using Mesh.Resources;

namespace Mesh.Procurement.Grpc;

/// <summary>mesh.procurement.v1.GoodsReceiptService: maps requests to <see cref="Receiving"/>; reads and lists (newest first) come straight from the store.</summary>
public sealed class GoodsReceiptApi(ResourceStore<GoodsReceipt> store, Receiving receiving) : GoodsReceiptService.GoodsReceiptServiceBase
{
    /// <inheritdoc />
    public override async Task<GoodsReceipt> GetGoodsReceipt(GetGoodsReceiptRequest request, ServerCallContext context) =>
        await store.GetAsync(ProcurementNames.GoodsReceipts.IdOf(request.Name, "name"), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);

    /// <inheritdoc />
    public override async Task<ListGoodsReceiptsResponse> ListGoodsReceipts(ListGoodsReceiptsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        // Filtered by order, a page reads only that order's receipts.
        var ids = request.PurchaseOrder.Length == 0
            ? await store.IdsAsync(ct)
            : await store.GroupIdsAsync(Receiving.OrderGroup, ProcurementNames.PurchaseOrders.IdOf(request.PurchaseOrder, "purchase_order"), ct);
        var (page, next) = await Paging.PageAsync(ids, request.PageSize, request.PageToken, ids => store.GetManyAsync(ids, ct), r =>
            (request.PurchaseOrder.Length == 0 || r.PurchaseOrder == request.PurchaseOrder)
            && (request.ReceivingLocation.Length == 0 || r.ReceivingLocation == request.ReceivingLocation)
            && (request.Supplier.Length == 0 || r.Supplier == request.Supplier));
        return new ListGoodsReceiptsResponse { GoodsReceipts = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override Task<GoodsReceipt> CreateGoodsReceipt(CreateGoodsReceiptRequest request, ServerCallContext context) =>
        receiving.CreateAsync(request.GoodsReceipt ?? throw ResourceErrors.Invalid("goods_receipt is required"), request.GoodsReceiptId, request.RequestId, context.CancellationToken);

    /// <inheritdoc />
    public override Task<GoodsReceipt> ReverseGoodsReceipt(ReverseGoodsReceiptRequest request, ServerCallContext context) =>
        receiving.ReverseAsync(request.Name, request.Reason, context.CancellationToken);
}
