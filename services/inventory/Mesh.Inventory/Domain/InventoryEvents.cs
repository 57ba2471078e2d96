using Mesh.Contracts.Inventory.V1;
using Mesh.Resources;

namespace Mesh.Inventory.Domain;

/// <summary>
/// The events a stock movement announces, with ids derived from the movement ("locations/x/movements/y.adjusted") and
/// the movement's source document (e.g. the ItemConsumed event behind it) as their correlation.
/// </summary>
public static class InventoryEvents
{
    /// <summary>StockAdjusted for a movement that is not a consumption (receipts, adjustments, reversals); null for a consumption.</summary>
    public static StockAdjusted? Adjusted(ContractEvents events, StockMovement movement, string requestId) =>
        movement.Type == StockMovementType.Consumption ? null : new StockAdjusted
        {
            Context = ContextOf(events, movement, "adjusted", requestId),
            Movement = movement.Name,
            Item = movement.Item,
            Location = movement.Location,
            Delta = movement.Delta,
            OnHand = movement.OnHandAfter,
            Reason = movement.Type switch
            {
                StockMovementType.Receipt => "receipt",
                StockMovementType.Reversal => "reversal",
                _ => "adjustment",
            },
        };

    /// <summary>
    /// ReorderPointReached for a movement that took <paramref name="balance"/> (as it is after the movement) below its
    /// reorder point; the suggested quantity brings it back to par (nothing without a par level).
    /// </summary>
    public static ReorderPointReached ReorderPointReached(ContractEvents events, StockMovement movement, InventoryBalance balance, string requestId) => new()
    {
        Context = ContextOf(events, movement, "reorder-point-reached", requestId),
        Balance = balance.Name,
        Item = balance.Item,
        Location = balance.Location,
        OnHand = balance.OnHand,
        ReorderPoint = balance.ReorderPoint,
        SuggestedQuantity = balance.ParLevel is { } par && par.CompareAmount(balance.OnHand) > 0
            ? par.Plus(balance.OnHand.Negated())
            : QuantityMath.Zero(balance.OnHand.Unit),
    };

    private static Mesh.Contracts.Type.V1.EventContext ContextOf(ContractEvents events, StockMovement movement, string what, string requestId) =>
        events.Context($"{movement.Name}.{what}", movement.CreateTime.ToDateTimeOffset(), requestId.Length > 0 ? requestId : movement.SourceDocument, movement.SourceDocument);
}
