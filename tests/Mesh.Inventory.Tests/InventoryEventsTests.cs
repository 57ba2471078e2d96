using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Inventory.Domain;
using Mesh.Resources;

namespace Mesh.Inventory.Tests;

/// <summary>Inventory's events and balance rules as plain classes: no sidecar, no gRPC.</summary>
public sealed class InventoryEventsTests
{
    private static readonly ContractEvents Events = new("inventory-outbox", "mesh/inventory");

    [Theory]
    [InlineData(StockMovementType.Consumption, null)]
    [InlineData(StockMovementType.Receipt, "receipt")]
    [InlineData(StockMovementType.Adjustment, "adjustment")]
    [InlineData(StockMovementType.Reversal, "reversal")]
    public void Adjusted_IsEveryMovementButAConsumption_WithItsReason(StockMovementType type, string? reason)
    {
        var adjusted = InventoryEvents.Adjusted(Events, Movement(type), "req-1");

        Assert.Equal(reason, adjusted?.Reason);
        if (adjusted is not null)
        {
            Assert.Equal(("locations/or-1/movements/m-1.adjusted", "req-1", "evt-1", 7m), (adjusted.Context.EventId, adjusted.Context.CausationId, adjusted.Context.CorrelationId, adjusted.OnHand.ToDecimal()));
        }
    }

    [Fact]
    public void ReorderPointReached_SuggestsWhatBringsTheBalanceBackToPar_NothingWithoutOne()
    {
        var withPar = Balance(par: 12);
        var withoutPar = Balance(par: null);

        var suggested = InventoryEvents.ReorderPointReached(Events, Movement(StockMovementType.Consumption), withPar, "");
        var none = InventoryEvents.ReorderPointReached(Events, Movement(StockMovementType.Consumption), withoutPar, "");

        Assert.Equal((5m, "EA", "evt-1"), (suggested.SuggestedQuantity.ToDecimal(), suggested.SuggestedQuantity.Unit, suggested.Context.CausationId));
        Assert.Equal(0m, none.SuggestedQuantity.ToDecimal());
    }

    [Fact]
    public void ValidateLevels_NegativeOrInAnotherUnit_IsInvalidArgumentNamingTheField()
    {
        var negative = Balance(par: 12);
        negative.ReorderPoint = Quantity.Of(-1, "EA");
        var otherUnit = Balance(par: 12);
        otherUnit.ParLevel = Quantity.Of(2, "BX");

        var refusals = new[] { negative, otherUnit }.Select(b => Assert.Throws<RpcException>(() => BalanceRules.ValidateLevels(b))).ToList();

        Assert.Equal("inventory_balance.reorder_point must not be negative", refusals[0].Status.Detail);
        Assert.StartsWith("inventory_balance.par_level is in BX but", refusals[1].Status.Detail, StringComparison.Ordinal);
    }

    private static StockMovement Movement(StockMovementType type) => new()
    {
        Name = "locations/or-1/movements/m-1",
        Type = type,
        Item = "items/gauze",
        Location = "locations/or-1",
        Delta = Quantity.Of(-3, "EA"),
        OnHandAfter = Quantity.Of(7, "EA"),
        SourceDocument = "evt-1",
        CreateTime = Timestamp.FromDateTime(new DateTime(2025, 3, 14, 0, 0, 0, DateTimeKind.Utc)),
    };

    private static InventoryBalance Balance(decimal? par)
    {
        var balance = BalanceRules.Open("or-1", "gauze", "EA", Timestamp.FromDateTime(new DateTime(2025, 3, 14, 0, 0, 0, DateTimeKind.Utc)));
        balance.OnHand = Quantity.Of(7, "EA");
        balance.ReorderPoint = Quantity.Of(8, "EA");
        balance.ParLevel = par is { } level ? Quantity.Of(level, "EA") : null;
        return balance;
    }
}
