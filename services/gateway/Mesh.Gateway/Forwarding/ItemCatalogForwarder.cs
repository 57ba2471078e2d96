using Grpc.Core;
using Mesh.Contracts.MasterData.V1;

namespace Mesh.Gateway.Forwarding;

/// <summary>mesh.masterdata.v1.ItemService for partners: the catalog reads, forwarded to master data.</summary>
public sealed class ItemCatalogForwarder(PartnerForwarder forwarder) : ItemService.ItemServiceBase
{
    /// <inheritdoc />
    public override Task<Item> GetItem(GetItemRequest request, ServerCallContext context) =>
        forwarder.UnaryAsync<GetItemRequest, Item>(request, context);

    /// <inheritdoc />
    public override Task<ListItemsResponse> ListItems(ListItemsRequest request, ServerCallContext context) =>
        forwarder.UnaryAsync<ListItemsRequest, ListItemsResponse>(request, context);
}
