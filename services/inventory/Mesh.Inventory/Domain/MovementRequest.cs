using Mesh.Contracts.Inventory.V1;
using Mesh.Resources;

namespace Mesh.Inventory.Domain;

/// <summary>
/// A CreateStockMovement request checked field by field, before any state is read: the location and item ids,
/// the movement to record (its output fields cleared), and the id of the movement a reversal reverses.
/// </summary>
/// <param name="Location">The location id.</param>
/// <param name="Item">The item id.</param>
/// <param name="Draft">The movement as requested, with its location set and its output fields cleared.</param>
/// <param name="Reverses">The id (within the location) of the movement a reversal reverses; null for other types.</param>
/// <param name="RequestId">The idempotency key, or "".</param>
public sealed record MovementRequest(string Location, string Item, StockMovement Draft, string? Reverses, string RequestId)
{
    /// <summary>The checked request; INVALID_ARGUMENT naming the field or rule otherwise.</summary>
    public static MovementRequest From(CreateStockMovementRequest request)
    {
        var location = InventoryNames.Locations.IdOf(request.Parent, "parent");
        var movement = request.StockMovement ?? throw ResourceErrors.Invalid("stock_movement is required");
        var item = InventoryNames.Items.IdOf(movement.Item, "stock_movement.item");
        if (movement.Location.Length > 0 && movement.Location != request.Parent)
        {
            throw ResourceErrors.Invalid($"stock_movement.location '{movement.Location}' must equal parent '{request.Parent}'");
        }

        // Dapr keys are "{app}||{key}", so a request id must not carry the separator.
        if (request.RequestId.Contains("||", StringComparison.Ordinal))
        {
            throw ResourceErrors.Invalid("request_id must not contain '||'");
        }

        var delta = QuantityMath.Require(movement.Delta, "stock_movement.delta");
        var sign = delta.Sign();
        if (sign == 0)
        {
            throw ResourceErrors.Invalid("stock_movement.delta must not be zero");
        }

        var reverses = ReversedId(movement, location);
        var rule = movement.Type switch
        {
            StockMovementType.Receipt when sign < 0 => "stock_movement.delta must be positive for a RECEIPT",
            StockMovementType.Consumption when sign > 0 => "stock_movement.delta must be negative for a CONSUMPTION",
            StockMovementType.Receipt or StockMovementType.Consumption or StockMovementType.Adjustment or StockMovementType.Reversal => null,
            StockMovementType.Transfer => "stock_movement.type TRANSFER is not supported yet; record two adjustments",
            StockMovementType.Unspecified => "stock_movement.type is required",
            _ => $"stock_movement.type {movement.Type} is not a known movement type",
        };
        if (rule is not null)
        {
            throw ResourceErrors.Invalid(rule);
        }

        var draft = movement.Clone();
        draft.Name = "";
        draft.Location = request.Parent;
        draft.CreateTime = null;
        draft.OnHandAfter = null;
        draft.ReorderPointCrossed = false;
        return new MovementRequest(location, item, draft, reverses, request.RequestId);
    }

    private static string? ReversedId(StockMovement movement, string location)
    {
        if (movement.Type != StockMovementType.Reversal)
        {
            return movement.Reverses.Length == 0 ? null : throw ResourceErrors.Invalid("stock_movement.reverses is only for REVERSAL movements");
        }

        if (movement.Reverses.Length == 0)
        {
            throw ResourceErrors.Invalid("stock_movement.reverses is required for a REVERSAL");
        }

        var (of, id) = InventoryNames.Parse(movement.Reverses, InventoryNames.Movements, "stock_movement.reverses");
        return of == location ? id : throw ResourceErrors.Invalid($"stock_movement.reverses '{movement.Reverses}' must be a movement of {InventoryNames.Locations.Of(location)}");
    }
}
