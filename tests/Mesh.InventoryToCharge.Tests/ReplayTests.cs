using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.Workflows.V1;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>
/// A parked case replayed after master data retired its item: the replay undoes everything the case's earlier
/// attempts left in any service, including what a step did without ever answering.
/// </summary>
public sealed class ReplayTests(FaultyFlow flow) : IClassFixture<FaultyFlow>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => flow.HealAsync();

    [Fact]
    public async Task ParkedCase_ReplayedAfterItsItemWasDeactivated_RestoresTheStockAndVoidsTheCharge()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: true);

        var parked = await run.ConcludeAsync(erpMode: "Down");
        var heldWhileParked = await run.OnHandAsync();
        var undone = await run.ReplayRetiredAsync();

        Assert.Equal(("erp_unavailable", true), (parked.Reason, parked.InventoryToCharge.StockMovement.Length > 0 && parked.InventoryToCharge.Charge.Length > 0));
        Assert.Equal(run.StartingStock - 2, heldWhileParked);
        Assert.Equal((CaseState.Exception, "unknown_item", true), (undone.State, undone.Reason, undone.Compensated));
        Assert.Equal(run.StartingStock, await run.OnHandAsync());
        Assert.Equal(ChargeState.Voided, (await run.ChargeAsync())?.State);
        // The ERP never took the posting, but finance held it as a draft: whatever the ERP booked is balanced by a reversal.
        var erp = await run.ErpAsync(undone);
        Assert.Equal(erp.Postings, erp.Reversals);
    }

    [Fact]
    public async Task ParkedAfterInventoryLostItsReply_ReplayedAfterItsItemWasDeactivated_RestoresTheStockTheCaseNeverHeardOf()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: false);

        var parked = await run.ConcludeAsync(lostReplyOf: "/mesh.inventory.v1.InventoryService/CreateStockMovement");
        var heldWhileParked = await run.OnHandAsync();
        var undone = await run.ReplayRetiredAsync();

        Assert.Equal(("inventory_unavailable", ""), (parked.Reason, parked.InventoryToCharge.StockMovement));
        Assert.Equal(run.StartingStock - 2, heldWhileParked);
        Assert.Equal((CaseState.Exception, "unknown_item", true), (undone.State, undone.Reason, undone.Compensated));
        Assert.Equal(run.StartingStock, await run.OnHandAsync());
    }

    [Fact]
    public async Task ParkedAfterChargesLostItsReply_ReplayedAfterItsItemWasDeactivated_VoidsTheChargeTheCaseNeverHeardOf()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: true);

        var parked = await run.ConcludeAsync(lostReplyOf: "/mesh.charges.v1.ChargeService/CreateCharge");
        var capturedWhileParked = await run.ChargeAsync();
        var undone = await run.ReplayRetiredAsync();

        Assert.Equal(("charges_unavailable", ""), (parked.Reason, parked.InventoryToCharge.Charge));
        Assert.Equal(ChargeState.Captured, capturedWhileParked?.State);
        Assert.Equal((CaseState.Exception, "unknown_item", true), (undone.State, undone.Reason, undone.Compensated));
        Assert.Equal(ChargeState.Voided, (await run.ChargeAsync())?.State);
        Assert.Equal(run.StartingStock, await run.OnHandAsync());
    }

    [Fact]
    public async Task ParkedAfterTheErpLostItsReply_ReplayedAfterItsItemWasDeactivated_ReversesThePostingTheErpBooked()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: true);

        var parked = await run.ConcludeAsync(erpMode: "LoseReply");
        var (bookedWhileParked, _) = await run.ErpAsync(parked);
        var undone = await run.ReplayRetiredAsync();

        Assert.Equal(("erp_unavailable", 1), (parked.Reason, bookedWhileParked));
        Assert.Equal((CaseState.Exception, "unknown_item", true), (undone.State, undone.Reason, undone.Compensated));
        Assert.Equal((1, 1), await run.ErpAsync(undone));
        Assert.Equal(ChargeState.Voided, (await run.ChargeAsync())?.State);
        Assert.Equal(run.StartingStock, await run.OnHandAsync());
    }
}
