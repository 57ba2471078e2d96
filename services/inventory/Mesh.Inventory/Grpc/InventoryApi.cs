using Grpc.Core;
using Mesh.Contracts.Inventory.V1;
using Mesh.Inventory.Domain;
using Mesh.Inventory.Storage;
using Mesh.Resources;

namespace Mesh.Inventory.Grpc;

/// <summary>
/// mesh.inventory.v1.InventoryService: on-hand balances per location and item, changed only by stock movements,
/// which the <see cref="StockLedger"/> records together with the balance they change; levels are set through
/// <see cref="BalanceLevels"/>.
/// </summary>
public sealed class InventoryApi(ResourceStore<InventoryBalance> balances, ResourceStore<StoredStockMovement> movements, StockLedger ledger, BalanceLevels levels)
    : InventoryService.InventoryServiceBase
{
    /// <inheritdoc />
    public override async Task<InventoryBalance> GetInventoryBalance(GetInventoryBalanceRequest request, ServerCallContext context)
    {
        var (location, item) = InventoryNames.Parse(request.Name, InventoryNames.Balances, "name");
        return await balances.GetAsync(InventoryNames.StoreId(location, item), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);
    }

    /// <inheritdoc />
    public override async Task<ListInventoryBalancesResponse> ListInventoryBalances(ListInventoryBalancesRequest request, ServerCallContext context)
    {
        var location = InventoryNames.Locations.IdOf(request.Parent, "parent");
        var (page, next) = await InventoryNames.PageAsync(balances, location, request.PageSize, request.PageToken,
            balance => !request.BelowReorderPoint || (balance.ActiveReorderPoint() is { } point && balance.OnHand.CompareAmount(point) <= 0),
            context.CancellationToken);
        return new ListInventoryBalancesResponse { InventoryBalances = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override Task<InventoryBalance> UpdateInventoryBalance(UpdateInventoryBalanceRequest request, ServerCallContext context)
    {
        var change = request.InventoryBalance ?? throw ResourceErrors.Invalid("inventory_balance is required");
        var (location, item) = InventoryNames.Parse(change.Name, InventoryNames.Balances, "inventory_balance.name");
        return levels.SetAsync(location, item, change, request.UpdateMask, context.CancellationToken);
    }

    /// <inheritdoc />
    public override async Task<StockMovement> CreateStockMovement(CreateStockMovementRequest request, ServerCallContext context) =>
        await ledger.RecordAsync(MovementRequest.From(request), context.CancellationToken);

    /// <inheritdoc />
    public override async Task<StockMovement> GetStockMovement(GetStockMovementRequest request, ServerCallContext context)
    {
        var (location, id) = InventoryNames.Parse(request.Name, InventoryNames.Movements, "name");
        var stored = await movements.GetAsync(InventoryNames.StoreId(location, id), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);
        return stored.Movement;
    }

    /// <inheritdoc />
    public override async Task<ListStockMovementsResponse> ListStockMovements(ListStockMovementsRequest request, ServerCallContext context)
    {
        var location = InventoryNames.Locations.IdOf(request.Parent, "parent");
        if (request.RequestId.Length > 0)
        {
            var made = await movements.MadeByRequestAsync(request.RequestId, stored => stored.Movement.Location == request.Parent, context.CancellationToken);
            return new ListStockMovementsResponse { StockMovements = { made.Select(stored => stored.Movement) } };
        }

        var (page, next) = await InventoryNames.PageAsync(movements, location, request.PageSize, request.PageToken, _ => true, context.CancellationToken);
        return new ListStockMovementsResponse { StockMovements = { page.Select(stored => stored.Movement) }, NextPageToken = next };
    }
}
