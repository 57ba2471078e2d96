using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Contracts.Workflows.V1;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>
/// Each exception reason of the inventory-to-charge saga, caused the way it happens in a hospital (master data
/// changed under a case, a unit or a cost center that does not fit, a reply lost), each ending with nothing left
/// behind in any system, or, when undoing fails, with the case naming what is left.
/// </summary>
public sealed class ExceptionReasonTests(FaultyFlow flow) : IClassFixture<FaultyFlow>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => flow.HealAsync();

    [Fact]
    public async Task MasterDataLostItsReply_IsMasterdataUnavailable_AndTheReplayCompletes()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: true);

        var parked = await run.ConcludeAsync(lostReplyOf: "/mesh.masterdata.v1.ItemService/GetItem");
        var leftNothing = await run.LeftNothingAsync(parked);
        var replayed = await run.ReplayAsync();

        Assert.Equal((CaseState.Exception, "masterdata_unavailable", true, true), (parked.State, parked.Reason, parked.Replayable, leftNothing));
        Assert.Equal(CaseState.Completed, replayed.State);
        Assert.Equal(run.StartingStock - 2, await run.OnHandAsync());
        Assert.Equal(ChargeState.Captured, (await run.ChargeAsync())?.State);
        Assert.Equal((1, 0), await run.ErpAsync(replayed));
    }

    [Fact]
    public async Task ConsumedInAnotherUnitThanTheItemIsStockedIn_IsUnitMismatch_AndLeavesNothing()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: true);
        run.Consumed.Quantity = Quantity.Of(2, "CS");

        var concluded = await run.ConcludeAsync();

        Assert.Equal((CaseState.Exception, "unit_mismatch"), (concluded.State, concluded.Reason));
        Assert.True(await run.LeftNothingAsync(concluded));
    }

    [Fact]
    public async Task CostCenterThatDoesNotExist_IsUnknownCostCenter_AndLeavesNothing()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: true);
        run.Consumed.CostCenter = "costCenters/never-opened";

        var concluded = await run.ConcludeAsync();

        Assert.Equal((CaseState.Exception, "unknown_cost_center"), (concluded.State, concluded.Reason));
        Assert.True(await run.LeftNothingAsync(concluded));
    }

    [Fact]
    public async Task ItemWithoutAStandardCost_IsUnpricedItem_AndLeavesNothing()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: false);
        await run.ChangeItemAsync(new Item(), "standard_cost");

        var concluded = await run.ConcludeAsync();

        Assert.Equal((CaseState.Exception, "unpriced_item"), (concluded.State, concluded.Reason));
        Assert.True(await run.LeftNothingAsync(concluded));
    }

    [Fact]
    public async Task MoreThanIsOnHand_IsInsufficientStock_AndLeavesNothing()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: true);
        run.Consumed.Quantity = Quantity.Of(run.StartingStock + 1, run.Item.StockingUnit);

        var concluded = await run.ConcludeAsync();

        Assert.Equal((CaseState.Exception, "insufficient_stock"), (concluded.State, concluded.Reason));
        Assert.True(await run.LeftNothingAsync(concluded));
    }

    [Fact]
    public async Task StockingUnitChangedAfterTheBalanceOpened_IsInventoryRefused_AndLeavesNothing()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: false);
        await run.ChangeItemAsync(new Item { StockingUnit = "CS" }, "stocking_unit");
        run.Consumed.Quantity = Quantity.Of(2, "CS");

        var concluded = await run.ConcludeAsync();

        Assert.Equal((CaseState.Exception, "inventory_refused"), (concluded.State, concluded.Reason));
        Assert.True(await run.LeftNothingAsync(concluded));
    }

    [Fact]
    public async Task BilledInAnotherUnitThanItIsStockedIn_IsChargeRefused_AndTheStockIsRestored()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: true);
        await run.ChangeItemAsync(new Item { BillingUnit = "CS" }, "billing_unit");

        var concluded = await run.ConcludeAsync();

        Assert.Equal((CaseState.Exception, "charge_refused", true), (concluded.State, concluded.Reason, concluded.Compensated));
        Assert.True(await run.LeftNothingAsync(concluded));
    }

    [Fact]
    public async Task CostThatRoundsToZeroCents_IsCostRefused_AndTheStockIsRestored()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: true);
        await run.ChangeItemAsync(new Item { StandardCost = Money.Of(run.Item.StandardCost.CurrencyCode, 0.001m) }, "standard_cost");

        var concluded = await run.ConcludeAsync();

        Assert.Equal((CaseState.Exception, "cost_refused", true), (concluded.State, concluded.Reason, concluded.Compensated));
        Assert.True(await run.LeftNothingAsync(concluded));
    }

    [Fact]
    public async Task VoidingTheChargeNeverAnswers_IsCompensationFailed_NamingWhatIsLeft_AndTheStockIsStillRestored()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: true);

        var concluded = await run.ConcludeAsync(erpMode: "Reject", lostReplyOf: "/mesh.charges.v1.ChargeService/VoidCharge");

        Assert.Equal((CaseState.Exception, "compensation_failed", false, false), (concluded.State, concluded.Reason, concluded.Compensated, concluded.Replayable));
        Assert.StartsWith("erp_rejected: ", concluded.Detail, StringComparison.Ordinal);
        Assert.Equal((await run.ChargeAsync())?.Name, concluded.InventoryToCharge.Charge);
        Assert.NotEmpty(concluded.InventoryToCharge.StockMovement);
        Assert.Equal(run.StartingStock, await run.OnHandAsync());
    }
}
