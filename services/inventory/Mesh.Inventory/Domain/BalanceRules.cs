using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Resources;

namespace Mesh.Inventory.Domain;

/// <summary>What makes a balance valid, and how its reorder point is read.</summary>
public static class BalanceRules
{
    /// <summary>A new balance of <paramref name="item"/> at <paramref name="location"/> (ids) with nothing on hand.</summary>
    public static InventoryBalance Open(string location, string item, string unit, Timestamp now) => new()
    {
        Name = InventoryNames.Of(location, InventoryNames.Balances, item),
        Item = InventoryNames.Items.Of(item),
        Location = InventoryNames.Locations.Of(location),
        OnHand = QuantityMath.Zero(unit),
        UpdateTime = now,
    };

    /// <summary>The reorder point when one is set; zero counts as none.</summary>
    public static Quantity? ActiveReorderPoint(this InventoryBalance balance) => balance.ReorderPoint is { } point && point.Sign() > 0 ? point : null;

    /// <summary>INVALID_ARGUMENT naming the field unless par level and reorder point are non-negative and in the balance's unit.</summary>
    public static void ValidateLevels(InventoryBalance balance)
    {
        Level(balance.ParLevel, "inventory_balance.par_level", balance);
        Level(balance.ReorderPoint, "inventory_balance.reorder_point", balance);
    }

    private static void Level(Quantity? level, string field, InventoryBalance balance)
    {
        if (level is null)
        {
            return;
        }

        QuantityMath.Require(level, field);
        if (level.Sign() < 0)
        {
            throw ResourceErrors.Invalid($"{field} must not be negative");
        }

        if (level.Unit != balance.OnHand.Unit)
        {
            throw ResourceErrors.Invalid($"{field} is in {level.Unit} but {balance.Name} is kept in {balance.OnHand.Unit}");
        }
    }
}
