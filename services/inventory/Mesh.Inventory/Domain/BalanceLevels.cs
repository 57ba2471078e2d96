using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Inventory.V1;
using Mesh.Resources;

namespace Mesh.Inventory.Domain;

/// <summary>
/// The levels of a balance (par level, reorder point), the only fields of a balance that are set directly; on hand
/// changes only by stock movements. Setting the levels of an item not stocked at the location yet opens its balance
/// (AIP allow_missing), in the unit the levels are given in, with nothing on hand.
/// </summary>
public sealed class BalanceLevels(ResourceStore<InventoryBalance> balances, TimeProvider time)
{
    private static readonly HashSet<string> UpdatablePaths = new(StringComparer.Ordinal) { "par_level", "reorder_point" };

    /// <summary>Sets the fields of <paramref name="change"/> named by <paramref name="mask"/> on the balance of (<paramref name="location"/>, <paramref name="item"/>).</summary>
    public async Task<InventoryBalance> SetAsync(string location, string item, InventoryBalance change, FieldMask? mask, CancellationToken ct)
    {
        var id = InventoryNames.StoreId(location, item);
        var now = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        try
        {
            return await StandardMethods.UpdateAsync(balances, id, change, mask, UpdatablePaths, updated =>
            {
                BalanceRules.ValidateLevels(updated);
                updated.UpdateTime = now;
            }, ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // UpdateAsync checks the mask before it reads, so a NOT_FOUND comes with a valid mask.
            return await OpenAsync(change, mask!, location, item, now, ct);
        }
    }

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
