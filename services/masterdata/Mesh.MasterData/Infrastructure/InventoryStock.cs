using Grpc.Core;
using Mesh.Contracts;
using Mesh.Contracts.Inventory.V1;
using Mesh.MasterData.Domain;
using Mesh.Resources;

namespace Mesh.MasterData.Infrastructure;

/// <summary>Inventory's balances and movements, reached through this app's sidecar.</summary>
public sealed class InventoryStock(InventoryService.InventoryServiceClient inventory) : IStock
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<InventoryBalance>> BalancesAsync(string location, CancellationToken ct) =>
        (await Pages.AllAsync<InventoryBalance>(async token =>
        {
            var page = await AskAsync(location, () => inventory.ListInventoryBalancesAsync(new ListInventoryBalancesRequest { Parent = location, PageToken = token }, cancellationToken: ct).ResponseAsync);
            return (page.InventoryBalances, page.NextPageToken);
        })).Items;

    /// <inheritdoc />
    public async Task<bool> HasMovementsAsync(string location, CancellationToken ct) =>
        (await AskAsync(location, () => inventory.ListStockMovementsAsync(new ListStockMovementsRequest { Parent = location, PageSize = 1 }, cancellationToken: ct).ResponseAsync)).StockMovements.Count > 0;

    private static async Task<T> AskAsync<T>(string location, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException e)
        {
            throw ResourceErrors.DependencyFailed($"inventory could not confirm that {location} holds no stock", e);
        }
    }
}
