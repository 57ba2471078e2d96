using Mesh.Contracts;
using Grpc.Core;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Type.V1;

namespace Mesh.Inventory.Tests;

public sealed class StockMovementTests(InventoryFixture fixture) : IClassFixture<InventoryFixture>
{
    private const string Item = "items/gauze-4x4";

    private InventoryService.InventoryServiceClient Inventory => fixture.Inventory;

    // Every test works on its own location, so tests sharing the fixture's Redis do not see each other's stock.
    private static string NewLocation() => $"locations/{$"or-{Guid.NewGuid():N}"[..15]}";

    private static string BalanceOf(string location, string item = Item) => $"{location}/balances/{item["items/".Length..]}";

    private Task<StockMovement> MoveAsync(string location, StockMovementType type, decimal delta, string requestId = "", string reverses = "", string unit = "EA") =>
        Inventory.CreateStockMovementAsync(new CreateStockMovementRequest
        {
            Parent = location,
            RequestId = requestId,
            StockMovement = new StockMovement { Type = type, Item = Item, Location = location, Delta = Quantity.Of(delta, unit), Reverses = reverses },
        }).ResponseAsync;

    private Task<StockMovement> ReceiveAsync(string location, decimal quantity, string requestId = "") => MoveAsync(location, StockMovementType.Receipt, quantity, requestId);

    private Task<StockMovement> ConsumeAsync(string location, decimal quantity, string requestId = "") => MoveAsync(location, StockMovementType.Consumption, -quantity, requestId);

    private async Task<decimal> OnHandAsync(string location) =>
        (await Inventory.GetInventoryBalanceAsync(new GetInventoryBalanceRequest { Name = BalanceOf(location) })).OnHand.ToDecimal();

    private async Task SetReorderPointAsync(string location, decimal point) =>
        await Inventory.UpdateInventoryBalanceAsync(new UpdateInventoryBalanceRequest
        {
            InventoryBalance = new InventoryBalance { Name = BalanceOf(location), ReorderPoint = Quantity.Of(point, "EA") },
            UpdateMask = new() { Paths = { "reorder_point" } },
        });

    private async Task<List<StockMovement>> AllMovementsAsync(string location, int pageSize) =>
        (await Pages.AllAsync<StockMovement>(async token =>
        {
            var page = await Inventory.ListStockMovementsAsync(new ListStockMovementsRequest { Parent = location, PageSize = pageSize, PageToken = token });
            Assert.True(page.StockMovements.Count <= pageSize);
            return (page.StockMovements, page.NextPageToken);
        })).Items;

    [Fact]
    public async Task ReceiptThenConsumption_UpdatesOnHand_AndEachMovementCarriesTheRunningBalance()
    {
        var location = NewLocation();

        var receipt = await ReceiveAsync(location, 10.5m);
        var consumption = await ConsumeAsync(location, 3.25m);
        var read = await Inventory.GetStockMovementAsync(new GetStockMovementRequest { Name = consumption.Name });
        var balance = await Inventory.GetInventoryBalanceAsync(new GetInventoryBalanceRequest { Name = BalanceOf(location) });

        Assert.StartsWith($"{location}/movements/", consumption.Name, StringComparison.Ordinal);
        Assert.Equal((10.5m, "EA"), (receipt.OnHandAfter.ToDecimal(), receipt.OnHandAfter.Unit));
        Assert.Equal(7.25m, consumption.OnHandAfter.ToDecimal());
        Assert.Equal(consumption, read);
        Assert.Equal((7.25m, "EA", Item, location), (balance.OnHand.ToDecimal(), balance.OnHand.Unit, balance.Item, balance.Location));
        Assert.NotNull(consumption.CreateTime);
    }

    [Fact]
    public async Task ConsumptionBeyondStock_IsFailedPrecondition_WithoutPatientData_AndTheBalanceIsUnchanged()
    {
        var location = NewLocation();
        await ReceiveAsync(location, 2);

        var refused = await Assert.ThrowsAsync<RpcException>(() => Inventory.CreateStockMovementAsync(new CreateStockMovementRequest
        {
            Parent = location,
            StockMovement = new StockMovement
            {
                Type = StockMovementType.Consumption,
                Item = Item,
                Delta = Quantity.Of(-3, "EA"),
                Patient = new PatientReference { Mrn = "MRN-4471902", EncounterId = "ENC-88213", PatientName = "Jane Doe" },
            },
        }).ResponseAsync);
        var neverStocked = await Assert.ThrowsAsync<RpcException>(() => ConsumeAsync(NewLocation(), 1));

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal($"insufficient stock: {Item} at {location} has 2 EA on hand, movement needs 3 EA", refused.Status.Detail);
        Assert.DoesNotContain("MRN-4471902", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.FailedPrecondition, neverStocked.StatusCode);
        Assert.Equal(2m, await OnHandAsync(location));
        Assert.Single(await AllMovementsAsync(location, 10));
    }

    [Fact]
    public async Task SameRequestIdTwice_RecordsOneMovement_AndMovesStockOnce_EvenWhenTheRetryWouldNowBeRefused()
    {
        var location = NewLocation();
        var requestId = $"{Guid.NewGuid()}.consume";
        await ReceiveAsync(location, 5);

        var first = await ConsumeAsync(location, 5, requestId);
        var retry = await ConsumeAsync(location, 5, requestId);

        Assert.Equal(first, retry);
        Assert.Equal(0m, await OnHandAsync(location));
        Assert.Equal(2, (await AllMovementsAsync(location, 10)).Count);
    }

    [Fact]
    public async Task TwentyConcurrentConsumptions_AllSucceed_NothingIsLost_AndOneMoreIsRefused()
    {
        var location = NewLocation();
        await ReceiveAsync(location, 20);
        await SetReorderPointAsync(location, 5);

        var consumptions = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => ConsumeAsync(location, 1))));
        var oneMore = await Assert.ThrowsAsync<RpcException>(() => ConsumeAsync(location, 1));

        Assert.Equal(0m, await OnHandAsync(location));
        Assert.Equal(20, consumptions.Select(m => m.Name).Distinct().Count());
        // Serialized by ETags: every running balance from 19 down to 0 appears exactly once.
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (decimal)i), consumptions.Select(m => m.OnHandAfter.ToDecimal()).Order());
        var crossed = Assert.Single(consumptions, m => m.ReorderPointCrossed);
        Assert.Equal(4m, crossed.OnHandAfter.ToDecimal());
        Assert.Equal(StatusCode.FailedPrecondition, oneMore.StatusCode);
        Assert.Equal(21, (await AllMovementsAsync(location, 100)).Count);
    }

    [Fact]
    public async Task ReorderPointCrossed_IsReportedOnlyByTheMovementThatFallsThroughIt_AgainAfterARestock()
    {
        var location = NewLocation();
        await ReceiveAsync(location, 6);
        await SetReorderPointAsync(location, 3);

        var toThree = await ConsumeAsync(location, 3);
        var toTwo = await ConsumeAsync(location, 1);
        var toOne = await ConsumeAsync(location, 1);
        var restock = await ReceiveAsync(location, 9);
        var stillAbove = await ConsumeAsync(location, 5);
        var fallsThrough = await ConsumeAsync(location, 4.5m);

        Assert.Equal(
            [false, true, false, false, false, true],
            new[] { toThree, toTwo, toOne, restock, stillAbove, fallsThrough }.Select(m => m.ReorderPointCrossed));
        Assert.Equal(0.5m, fallsThrough.OnHandAfter.ToDecimal());
    }

    [Fact]
    public async Task Reversal_RestoresStock_IsIdempotent_AndASecondReversalIsRefused()
    {
        var location = NewLocation();
        var requestId = $"{Guid.NewGuid()}.restore";
        await ReceiveAsync(location, 10);
        var consumption = await ConsumeAsync(location, 4);

        var wrongDelta = await Assert.ThrowsAsync<RpcException>(() => MoveAsync(location, StockMovementType.Reversal, 3, reverses: consumption.Name));
        var reversal = await MoveAsync(location, StockMovementType.Reversal, 4, requestId, consumption.Name);
        var retry = await MoveAsync(location, StockMovementType.Reversal, 4, requestId, consumption.Name);
        var second = await Assert.ThrowsAsync<RpcException>(() => MoveAsync(location, StockMovementType.Reversal, 4, reverses: consumption.Name));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => MoveAsync(location, StockMovementType.Reversal, 4, reverses: $"{location}/movements/nope"));

        Assert.Equal((StatusCode.InvalidArgument, true), (wrongDelta.StatusCode, wrongDelta.Status.Detail.Contains("stock_movement.delta", StringComparison.Ordinal)));
        Assert.Equal((10m, consumption.Name), (reversal.OnHandAfter.ToDecimal(), reversal.Reverses));
        Assert.Equal(reversal, retry);
        Assert.Equal(StatusCode.FailedPrecondition, second.StatusCode);
        Assert.Contains($"already reversed by {reversal.Name}", second.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(10m, await OnHandAsync(location));
    }

    [Fact]
    public async Task ConcurrentReversalsOfOneMovement_OnlyOneIsRecorded()
    {
        var location = NewLocation();
        await ReceiveAsync(location, 10);
        var consumption = await ConsumeAsync(location, 4);

        var attempts = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            try
            {
                return (StatusCode.OK, (await MoveAsync(location, StockMovementType.Reversal, 4, reverses: consumption.Name)).Name);
            }
            catch (RpcException e)
            {
                return (e.StatusCode, "");
            }
        })));

        Assert.Single(attempts, a => a.Item1 == StatusCode.OK);
        Assert.All(attempts.Where(a => a.Item1 != StatusCode.OK), a => Assert.Equal(StatusCode.FailedPrecondition, a.Item1));
        Assert.Equal(10m, await OnHandAsync(location));
        Assert.Equal(3, (await AllMovementsAsync(location, 10)).Count);
    }

    [Fact]
    public async Task ListStockMovements_PagesThroughEachOnce_NewestFirst_AndOnlyUnderTheParent()
    {
        var location = NewLocation();
        var elsewhere = NewLocation();
        await ReceiveAsync(elsewhere, 1);
        var recorded = new List<string>();
        for (var i = 1; i <= 7; i++)
        {
            recorded.Add((await ReceiveAsync(location, i)).Name);
        }

        var listed = await AllMovementsAsync(location, 3);

        Assert.Equal(Enumerable.Reverse(recorded), listed.Select(m => m.Name));
        Assert.Equal([28m, 21m, 15m, 10m, 6m, 3m, 1m], listed.Select(m => m.OnHandAfter.ToDecimal()));
    }

    [Fact]
    public async Task FirstStock_OpensTheBalanceInItsUnit_AndOtherUnitsAreRefused()
    {
        var location = NewLocation();

        var adjustment = await MoveAsync(location, StockMovementType.Adjustment, 12, unit: "BX");
        var otherUnit = await Assert.ThrowsAsync<RpcException>(() => MoveAsync(location, StockMovementType.Receipt, 1, unit: "EA"));
        var countedDown = await MoveAsync(location, StockMovementType.Adjustment, -2, unit: "BX");

        Assert.Equal((12m, "BX"), (adjustment.OnHandAfter.ToDecimal(), adjustment.OnHandAfter.Unit));
        Assert.Equal(StatusCode.InvalidArgument, otherUnit.StatusCode);
        Assert.Contains("kept in BX", otherUnit.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(10m, countedDown.OnHandAfter.ToDecimal());
    }

    public static TheoryData<string, CreateStockMovementRequest> BadMovements => new()
    {
        { "parent", new() { Parent = "wards/icu", StockMovement = new() { Type = StockMovementType.Receipt, Item = Item, Delta = Quantity.Of(1, "EA") } } },
        { "stock_movement is required", new() { Parent = "locations/icu" } },
        { "stock_movement.item", new() { Parent = "locations/icu", StockMovement = new() { Type = StockMovementType.Receipt, Item = "gauze", Delta = Quantity.Of(1, "EA") } } },
        { "stock_movement.location", new() { Parent = "locations/icu", StockMovement = new() { Type = StockMovementType.Receipt, Item = Item, Location = "locations/er", Delta = Quantity.Of(1, "EA") } } },
        { "stock_movement.delta is required", new() { Parent = "locations/icu", StockMovement = new() { Type = StockMovementType.Receipt, Item = Item } } },
        { "stock_movement.delta.unit", new() { Parent = "locations/icu", StockMovement = new() { Type = StockMovementType.Receipt, Item = Item, Delta = new Quantity { Units = 1 } } } },
        { "stock_movement.type is required", new() { Parent = "locations/icu", StockMovement = new() { Item = Item, Delta = Quantity.Of(1, "EA") } } },
        { "type TRANSFER is not supported yet; record two adjustments", new() { Parent = "locations/icu", StockMovement = new() { Type = StockMovementType.Transfer, Item = Item, Delta = Quantity.Of(1, "EA") } } },
        { "stock_movement.delta must be negative for a CONSUMPTION", new() { Parent = "locations/icu", StockMovement = new() { Type = StockMovementType.Consumption, Item = Item, Delta = Quantity.Of(1, "EA") } } },
        { "stock_movement.delta must be positive for a RECEIPT", new() { Parent = "locations/icu", StockMovement = new() { Type = StockMovementType.Receipt, Item = Item, Delta = Quantity.Of(-1, "EA") } } },
        { "stock_movement.reverses is required", new() { Parent = "locations/icu", StockMovement = new() { Type = StockMovementType.Reversal, Item = Item, Delta = Quantity.Of(1, "EA") } } },
        { "stock_movement.reverses", new() { Parent = "locations/icu", StockMovement = new() { Type = StockMovementType.Reversal, Item = Item, Delta = Quantity.Of(1, "EA"), Reverses = "locations/er/movements/m1" } } },
    };

    [Theory]
    [MemberData(nameof(BadMovements))]
    public async Task BadMovement_IsInvalidArgument_NamingTheField(string named, CreateStockMovementRequest request)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Inventory.CreateStockMovementAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(named, error.Status.Detail, StringComparison.Ordinal);
    }
}
