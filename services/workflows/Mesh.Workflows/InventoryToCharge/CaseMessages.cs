using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Type.V1;

namespace Mesh.Workflows.InventoryToCharge;

/// <summary>The canonical requests a case sends, keyed by the case's event id.</summary>
public static class CaseMessages
{
    /// <summary>A stock movement of the case at its location, keyed by the event id and <paramref name="step"/>.</summary>
    public static CreateStockMovementRequest Movement(ConsumptionCase input, StockMovementType type, decimal delta, string step) => new()
    {
        Parent = input.Location,
        RequestId = $"{input.EventId}.{step}",
        StockMovement = new StockMovement
        {
            Type = type,
            Item = input.Item,
            Location = input.Location,
            Delta = Quantity.Of(delta, input.Unit),
            SourceDocument = input.EventId,
            OccurTime = Timestamp.FromDateTimeOffset(input.OccurTime),
        },
    };
}
