using Grpc.Core;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Testing;

namespace Mesh.Inventory.Tests;

/// <summary>
/// Inventory announces its movements through its outbox, in the transaction that records them: StockAdjusted for
/// anything but a consumption, ReorderPointReached when a movement takes a balance below its reorder point (both,
/// when an adjustment does), nothing for a movement it refuses, and never the patient of a consumption.
/// </summary>
public sealed class InventoryEventsThroughOutboxTests(InventoryFixture fixture) : IClassFixture<InventoryFixture>
{
    private const string Item = "items/suture-3-0";
    private const string Mrn = "MRN-5521907";

    [Fact]
    public async Task Movements_AnnounceAdjustmentsAndCrossedReorderPoints_InTheirOwnTransaction()
    {
        var location = $"locations/{$"or-{Guid.NewGuid():N}"[..15]}";
        var document = $"evt-{Guid.NewGuid():N}";
        var receipt = await MoveAsync(location, StockMovementType.Receipt, 10, document);
        await fixture.Inventory.UpdateInventoryBalanceAsync(new UpdateInventoryBalanceRequest
        {
            InventoryBalance = new InventoryBalance { Name = Balance(location), ReorderPoint = Quantity.Of(6, "EA"), ParLevel = Quantity.Of(12, "EA") },
            UpdateMask = new() { Paths = { "reorder_point", "par_level" } },
        });

        var above = await MoveAsync(location, StockMovementType.Consumption, -2, document, patient: true);
        var crossing = await MoveAsync(location, StockMovementType.Consumption, -3, document, patient: true);
        var refused = await Assert.ThrowsAsync<RpcException>(() => MoveAsync(location, StockMovementType.Consumption, -9, document, patient: true));
        var reversal = await MoveAsync(location, StockMovementType.Reversal, 3, document, reverses: crossing.Name);
        var adjustment = await MoveAsync(location, StockMovementType.Adjustment, -4, document);
        var events = await fixture.EventsAsync();
        var mine = events.Where(e => e["data"] is System.Text.Json.Nodes.JsonObject data && data["context"]?["correlationId"]?.GetValue<string>() == document).ToList();

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        // The relay publishes concurrently, so the topic's order is not the movements' order.
        Assert.Equal(
            new[] { (receipt.Name, "receipt", 10m), (reversal.Name, "reversal", 8m), (adjustment.Name, "adjustment", 4m) }.Order(),
            mine.Of(StockAdjusted.Descriptor.FullName).Select(e => StockAdjusted.Parser.ParseJson(e["data"]!.ToJsonString())).Select(a => (a.Movement, a.Reason, a.OnHand.ToDecimal())).Order());
        var reached = mine.Of(ReorderPointReached.Descriptor.FullName).Select(e => ReorderPointReached.Parser.ParseJson(e["data"]!.ToJsonString())).ToList();
        Assert.Equal(
            new[] { ($"{crossing.Name}.reorder-point-reached", 5m, 7m), ($"{adjustment.Name}.reorder-point-reached", 4m, 8m) }.Order(),
            reached.Select(r => (r.Context.EventId, r.OnHand.ToDecimal(), r.SuggestedQuantity.ToDecimal())).Order());
        Assert.All(reached, r => Assert.Equal((Balance(location), 6m), (r.Balance, r.ReorderPoint.ToDecimal())));
        Assert.DoesNotContain(mine, e => e["data"]!["movement"]?.GetValue<string>() == above.Name);
        // The consumption's patient never reaches the topic: its movement publishes only an empty projection.
        Assert.All(events, e => Assert.DoesNotContain(Mrn, e.ToJsonString(), StringComparison.Ordinal));
    }

    private static string Balance(string location) => $"{location}/balances/{Item["items/".Length..]}";

    private Task<StockMovement> MoveAsync(string location, StockMovementType type, decimal delta, string document, bool patient = false, string reverses = "") =>
        fixture.Inventory.CreateStockMovementAsync(new CreateStockMovementRequest
        {
            Parent = location,
            StockMovement = new StockMovement
            {
                Type = type,
                Item = Item,
                Delta = Quantity.Of(delta, "EA"),
                SourceDocument = document,
                Reverses = reverses,
                Patient = patient ? new PatientReference { Mrn = Mrn, EncounterId = "ENC-9" } : null,
            },
        }).ResponseAsync;
}
