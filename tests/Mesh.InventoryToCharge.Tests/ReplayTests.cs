using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Contracts.Workflows.V1;
using Mesh.Scenarios;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>A parked case replayed after master data changed: the replay undoes what the case had already done.</summary>
public sealed class ReplayTests : IAsyncLifetime
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);
    private InProcessFlow flow = null!;

    // The saga gives up on the ERP after two quick attempts, so a case parks in seconds.
    public async Task InitializeAsync() => flow = await InProcessFlow.StartAsync(
        workflows: new Dictionary<string, string?>
        {
            ["Workflows:PostingAttempts"] = "2",
            ["Workflows:FirstRetryInterval"] = "00:00:00.100",
            ["Workflows:MaxRetryInterval"] = "00:00:00.200",
        },
        finance: new Dictionary<string, string?>
        {
            ["Finance:ErpResilience:TotalRequestTimeout:Timeout"] = "00:00:01",
            ["Finance:ErpResilience:AttemptTimeout:Timeout"] = "00:00:00.500",
            ["Finance:ErpResilience:Retry:Delay"] = "00:00:00.050",
        });

    [Fact]
    public async Task ParkedCase_ReplayedAfterItsItemWasDeactivated_RestoresTheStockAndVoidsTheCharge()
    {
        var spec = new ScenarioSpec(Events: 1, Locations: 1, DuplicateShare: 0);
        var catalog = await flow.Scenario.SeedAsync(spec, CancellationToken.None);
        var item = catalog.Items.First(i => i.Chargeable);
        var consumed = InventoryToChargeScenario.Consumptions(catalog, spec).Single();
        consumed.Item = item.Name;
        consumed.Quantity = Quantity.Of(2, item.StockingUnit);
        var eventId = consumed.Context.EventId;
        var balance = InventoryToChargeScenario.BalanceName(consumed.Location, consumed.Item);

        await flow.Clients.SetErpChaosAsync("Down", CancellationToken.None);
        await flow.Scenario.SendAsync([consumed], spec, 1, CancellationToken.None);
        var parked = await flow.Scenario.WaitForCaseAsync(eventId, c => c.State == CaseState.Exception, Settle, CancellationToken.None);
        var heldWhileParked = await OnHandAsync(balance);

        // Master data retires the item before anyone replays the case; the ERP is back.
        await flow.Clients.Items.UpdateItemAsync(new UpdateItemRequest { Item = new Item { Name = item.Name, State = ItemState.Inactive }, UpdateMask = new FieldMask { Paths = { "state" } } });
        await flow.Clients.SetErpChaosAsync("Normal", CancellationToken.None);
        await flow.Clients.Cases.ReplayExceptionAsync(new ReplayExceptionRequest { Name = parked.Name });
        var undone = await flow.Scenario.WaitForCaseAsync(eventId, c => c.Compensated, Settle, CancellationToken.None);
        var charges = await flow.Clients.Charges.ListChargesAsync(new ListChargesRequest { Item = item.Name, PageSize = 100 });
        var postings = await flow.Scenario.ErpPostingsAsync(CancellationToken.None);

        Assert.Equal(("erp_unavailable", true), (parked.Reason, parked.InventoryToCharge.StockMovement.Length > 0 && parked.InventoryToCharge.Charge.Length > 0));
        Assert.Equal(catalog.StartingStock[balance] - 2, heldWhileParked);
        Assert.Equal((CaseState.Exception, "unknown_item"), (undone.State, undone.Reason));
        Assert.Equal(catalog.StartingStock[balance], await OnHandAsync(balance));
        Assert.Equal(ChargeState.Voided, Assert.Single(charges.Charges, c => c.SourceEventId == eventId).State);
        Assert.DoesNotContain(postings, p => p.Reference == eventId);
    }

    public async Task DisposeAsync() => await flow.DisposeAsync();

    private async Task<decimal> OnHandAsync(string balance) =>
        (await flow.Clients.Inventory.GetInventoryBalanceAsync(new GetInventoryBalanceRequest { Name = balance })).OnHand.ToDecimal();
}
