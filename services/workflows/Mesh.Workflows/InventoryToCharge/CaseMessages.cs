using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Type.V1;

namespace Mesh.Workflows.InventoryToCharge;

/// <summary>The canonical requests a case sends, keyed by the case's event id.</summary>
public static class CaseMessages
{
    /// <summary>The step whose movement takes the consumed stock.</summary>
    public const string Consume = "consume";

    /// <summary>The step that captures the patient charge.</summary>
    public const string Charge = "charge";

    /// <summary>The step that posts the cost to the ERP.</summary>
    public const string Cost = "cost";

    /// <summary>The request id of a step of the case: the same on every attempt and every replay of the case.</summary>
    public static string RequestId(ConsumptionCase input, string step) => $"{input.EventId}.{step}";

    /// <summary>A stock movement of the case at its location, keyed by the event id and <paramref name="step"/>.</summary>
    public static CreateStockMovementRequest Movement(ConsumptionCase input, StockMovementType type, decimal delta, string step) => new()
    {
        Parent = input.Location,
        RequestId = RequestId(input, step),
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
