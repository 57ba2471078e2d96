using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Inventory.V1;
using Mesh.Inventory.Ledger;
using Mesh.Inventory.Storage;
using Mesh.Resources;

namespace Mesh.Inventory.Grpc;

/// <summary>
/// mesh.inventory.v1.InventoryService: on-hand balances per location and item, changed only by stock movements,
/// which the <see cref="StockLedger"/> records together with the balance they change.
/// </summary>
public sealed class InventoryApi(ResourceStore<InventoryBalance> balances, ResourceStore<StoredStockMovement> movements, StockLedger ledger)
    : InventoryService.InventoryServiceBase
{
    private static readonly HashSet<string> UpdatablePaths = new(StringComparer.Ordinal) { "par_level", "reorder_point" };

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
    public override async Task<InventoryBalance> UpdateInventoryBalance(UpdateInventoryBalanceRequest request, ServerCallContext context)
    {
        var change = request.InventoryBalance ?? throw ResourceErrors.Invalid("inventory_balance is required");
        var (location, item) = InventoryNames.Parse(change.Name, InventoryNames.Balances, "inventory_balance.name");
        var id = InventoryNames.StoreId(location, item);
        var now = Timestamp.FromDateTime(DateTime.UtcNow);
        try
        {
            return await StandardMethods.UpdateAsync(balances, id, change, request.UpdateMask, UpdatablePaths, updated =>
            {
                BalanceRules.ValidateLevels(updated);
                updated.UpdateTime = now;
            }, context.CancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // UpdateAsync checks the mask before it reads, so a NOT_FOUND comes with a valid mask.
            return await OpenAsync(change, request.UpdateMask, location, item, now, context.CancellationToken);
        }
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
        var (page, next) = await InventoryNames.PageAsync(movements, location, request.PageSize, request.PageToken, _ => true, context.CancellationToken);
        return new ListStockMovementsResponse { StockMovements = { page.Select(stored => stored.Movement) }, NextPageToken = next };
    }

    // Setting the levels of an item not stocked at the location yet opens its balance (AIP allow_missing), in
    // the unit the levels are given in, with nothing on hand.
    private async Task<InventoryBalance> OpenAsync(InventoryBalance change, FieldMask mask, string location, string item, Timestamp now, CancellationToken ct)
    {
        if (change.Etag.Length > 0)
        {
            throw ResourceErrors.Aborted($"{change.Name} does not exist, so etag {change.Etag} is stale; read it again");
        }

        var balance = BalanceRules.Open(location, item, "", now);
        StandardMethods.ApplyMask(mask, change, balance);
        balance.OnHand.Unit = new[] { balance.ParLevel?.Unit, balance.ReorderPoint?.Unit }.FirstOrDefault(u => !string.IsNullOrWhiteSpace(u))
            ?? throw ResourceErrors.Invalid($"{change.Name} does not exist yet; give inventory_balance.par_level or inventory_balance.reorder_point with its unit to open it");
        BalanceRules.ValidateLevels(balance);
        try
        {
            return await balances.CreateAsync(InventoryNames.StoreId(location, item), balance, "", ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
        {
            throw ResourceErrors.Aborted($"{change.Name} was opened by another writer; read it again");
        }
    }
}
