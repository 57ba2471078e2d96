using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.MasterData.Domain;
using Mesh.Resources;

namespace Mesh.MasterData.Grpc;

/// <summary>mesh.masterdata.v1.ItemService: maps requests to the <see cref="ItemMaster"/>; reads and lists come straight from the store.</summary>
public sealed class ItemApi(ResourceStore<Item> items, ItemMaster master) : ItemService.ItemServiceBase
{
    /// <inheritdoc />
    public override async Task<Item> GetItem(GetItemRequest request, ServerCallContext context) =>
        await items.GetAsync(ItemRules.Items.IdOf(request.Name, "name"), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);

    /// <inheritdoc />
    public override async Task<ListItemsResponse> ListItems(ListItemsRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var (page, next) = await Paging.PageAsync(await items.IdsAsync(ct), request.PageSize, request.PageToken, ids => items.GetManyAsync(ids, ct), item => Matches(item, request));
        return new ListItemsResponse { Items = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override Task<Item> CreateItem(CreateItemRequest request, ServerCallContext context) =>
        master.CreateAsync(request.Item ?? throw ResourceErrors.Invalid("item is required"), request.ItemId, request.RequestId, context.CancellationToken);

    /// <inheritdoc />
    public override Task<Item> UpdateItem(UpdateItemRequest request, ServerCallContext context) =>
        master.UpdateAsync(request.Item ?? throw ResourceErrors.Invalid("item is required"), request.UpdateMask, context.CancellationToken);

    /// <inheritdoc />
    public override async Task<Empty> DeleteItem(DeleteItemRequest request, ServerCallContext context)
    {
        await master.DeleteAsync(request.Name, request.Etag, context.CancellationToken);
        return new Empty();
    }

    /// <inheritdoc />
    public override async Task<FindDuplicateItemsResponse> FindDuplicateItems(FindDuplicateItemsRequest request, ServerCallContext context)
    {
        var candidate = request.Item ?? throw ResourceErrors.Invalid("item is required");
        var matches = await master.FindDuplicatesAsync(candidate, request.MinScoreBasisPoints, request.MaxMatches, context.CancellationToken);
        return new FindDuplicateItemsResponse { Matches = { matches.Select(m => new ItemMatch { Item = m.Item, ScoreBasisPoints = m.Score, MatchedFields = { m.Fields } }) } };
    }

    private static bool Matches(Item item, ListItemsRequest filter) =>
        (filter.State == ItemState.Unspecified || item.State == filter.State)
        && (filter.Category.Length == 0 || item.Category == filter.Category)
        && (filter.Gtin.Length == 0 || Matching.SameIdentifier(item.Gtin, filter.Gtin))
        && (filter.ChargeCode.Length == 0 || item.ChargeCode == filter.ChargeCode)
        && (filter.Supplier.Length == 0 || item.SupplierPartNumbers.Any(s => s.Supplier == filter.Supplier));
}
