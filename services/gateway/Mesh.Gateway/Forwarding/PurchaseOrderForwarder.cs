using Grpc.Core;
using Mesh.Contracts.Procurement.V1;

namespace Mesh.Gateway.Forwarding;

/// <summary>mesh.procurement.v1.PurchaseOrderService for suppliers: their purchase orders, forwarded to procurement.</summary>
public sealed class PurchaseOrderForwarder(PartnerForwarder forwarder) : PurchaseOrderService.PurchaseOrderServiceBase
{
    /// <inheritdoc />
    public override Task<PurchaseOrder> GetPurchaseOrder(GetPurchaseOrderRequest request, ServerCallContext context) =>
        forwarder.UnaryAsync<GetPurchaseOrderRequest, PurchaseOrder>(request, context);

    /// <inheritdoc />
    public override Task<ListPurchaseOrdersResponse> ListPurchaseOrders(ListPurchaseOrdersRequest request, ServerCallContext context) =>
        forwarder.UnaryAsync<ListPurchaseOrdersRequest, ListPurchaseOrdersResponse>(request, context);
}
