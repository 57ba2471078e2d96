using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Contracts.Workflows.V1;
using Mesh.Scenarios;
using Mesh.Testing.Apps;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>
/// A parked case replayed after master data retired its item: the replay undoes everything the case's earlier
/// attempts left in any service, including what a step did without ever answering.
/// </summary>
public sealed class ReplayTests(ReplayTests.Flow flow) : IClassFixture<ReplayTests.Flow>, IAsyncLifetime
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        flow.LostReplies.Restore();
        await flow.Mesh.Clients.SetErpChaosAsync("Normal", CancellationToken.None);
    }

    [Fact]
    public async Task ParkedCase_ReplayedAfterItsItemWasDeactivated_RestoresTheStockAndVoidsTheCharge()
    {
        var run = await Case.StartAsync(flow, chargeable: true);

        var parked = await run.ParkAsync(erpMode: "Down");
        var heldWhileParked = await run.OnHandAsync();
        var undone = await run.ReplayRetiredAsync();
        var postings = await flow.Mesh.Scenario.ErpPostingsAsync(CancellationToken.None);

        Assert.Equal(("erp_unavailable", true), (parked.Reason, parked.InventoryToCharge.StockMovement.Length > 0 && parked.InventoryToCharge.Charge.Length > 0));
        Assert.Equal(run.StartingStock - 2, heldWhileParked);
        Assert.Equal((CaseState.Exception, "unknown_item"), (undone.State, undone.Reason));
        Assert.Equal(run.StartingStock, await run.OnHandAsync());
        Assert.Equal(ChargeState.Voided, (await run.ChargeAsync())?.State);
        // The ERP never took the posting, but finance held it as a draft: whatever the ERP had is balanced by a reversal.
        Assert.Equal(postings.Count(p => p.Reference == run.EventId), postings.Count(p => p.Reference == undone.InventoryToCharge.JournalEntry));
    }

    [Fact]
    public async Task ParkedAfterInventoryLostItsReply_ReplayedAfterItsItemWasDeactivated_RestoresTheStockTheCaseNeverHeardOf()
    {
        var run = await Case.StartAsync(flow, chargeable: false);

        var parked = await run.ParkAsync(lostReplyOf: "/mesh.inventory.v1.InventoryService/CreateStockMovement");
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
        var run = await Case.StartAsync(flow, chargeable: true);

        var parked = await run.ParkAsync(lostReplyOf: "/mesh.charges.v1.ChargeService/CreateCharge");
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
        var run = await Case.StartAsync(flow, chargeable: true);

        var parked = await run.ParkAsync(erpMode: "LoseReply");
        var bookedWhileParked = (await flow.Mesh.Scenario.ErpPostingsAsync(CancellationToken.None)).Count(p => p.Reference == run.EventId);
        var undone = await run.ReplayRetiredAsync();
        var postings = await flow.Mesh.Scenario.ErpPostingsAsync(CancellationToken.None);

        Assert.Equal(("erp_unavailable", 1), (parked.Reason, bookedWhileParked));
        Assert.Equal((CaseState.Exception, "unknown_item", true), (undone.State, undone.Reason, undone.Compensated));
        Assert.Equal(1, postings.Count(p => p.Reference == run.EventId));
        Assert.Equal(1, postings.Count(p => p.Reference == undone.InventoryToCharge.JournalEntry));
        Assert.Equal(ChargeState.Voided, (await run.ChargeAsync())?.State);
        Assert.Equal(run.StartingStock, await run.OnHandAsync());
    }

    /// <summary>
    /// The flow with a saga that gives up on a step after two quick attempts, so a case parks in seconds, and inventory
    /// and charges able to lose their replies.
    /// </summary>
    public sealed class Flow : IAsyncLifetime
    {
        public LostReplies LostReplies { get; } = new();

        public InProcessFlow Mesh { get; private set; } = null!;

        public async Task InitializeAsync() => Mesh = await InProcessFlow.StartAsync(
            workflows: new Dictionary<string, string?>
            {
                ["Workflows:StepAttempts"] = "2",
                ["Workflows:PostingAttempts"] = "2",
                ["Workflows:FirstRetryInterval"] = "00:00:00.100",
                ["Workflows:MaxRetryInterval"] = "00:00:00.200",
            },
            finance: new Dictionary<string, string?>
            {
                ["Finance:ErpResilience:TotalRequestTimeout:Timeout"] = "00:00:01",
                ["Finance:ErpResilience:AttemptTimeout:Timeout"] = "00:00:00.500",
                ["Finance:ErpResilience:Retry:Delay"] = "00:00:00.050",
            },
            lostReplies: LostReplies);

        public async Task DisposeAsync() => await Mesh.DisposeAsync();
    }

    /// <summary>One consumption of two units of a seeded item, parked by a fault and replayed once its item is retired.</summary>
    private sealed class Case(Flow flow, ItemConsumed consumed, Item item, string balance, decimal startingStock)
    {
        public string EventId => consumed.Context.EventId;

        public decimal StartingStock => startingStock;

        public static async Task<Case> StartAsync(Flow flow, bool chargeable)
        {
            var spec = new ScenarioSpec(Events: 1, Locations: 1, DuplicateShare: 0);
            var catalog = await flow.Mesh.Scenario.SeedAsync(spec, CancellationToken.None);
            var item = catalog.Items.First(i => i.Chargeable == chargeable);
            var consumed = InventoryToChargeScenario.Consumptions(catalog, spec).Single();
            consumed.Item = item.Name;
            consumed.Quantity = Quantity.Of(2, item.StockingUnit);
            var balance = InventoryToChargeScenario.BalanceName(consumed.Location, consumed.Item);
            return new Case(flow, consumed, item, balance, catalog.StartingStock[balance]);
        }

        /// <summary>
        /// Sends the event with a fault in place (the ERP in <paramref name="erpMode"/>, the replies of the gRPC method
        /// <paramref name="lostReplyOf"/> lost) and waits until the case is on the exception queue; the fault is then lifted.
        /// </summary>
        public async Task<Mesh.Contracts.Workflows.V1.Case> ParkAsync(string erpMode = "Normal", string? lostReplyOf = null)
        {
            await flow.Mesh.Clients.SetErpChaosAsync(erpMode, CancellationToken.None);
            if (lostReplyOf is not null)
            {
                flow.LostReplies.Lose(lostReplyOf);
            }

            await flow.Mesh.Scenario.SendAsync([consumed], new ScenarioSpec(Events: 1, Locations: 1, DuplicateShare: 0), 1, CancellationToken.None);
            var parked = await flow.Mesh.Scenario.WaitForCaseAsync(EventId, c => c.State == CaseState.Exception, Settle, CancellationToken.None);
            flow.LostReplies.Restore();
            await flow.Mesh.Clients.SetErpChaosAsync("Normal", CancellationToken.None);
            return parked;
        }

        /// <summary>Retires the item in master data, replays the parked case and waits until the replay concluded.</summary>
        public async Task<Mesh.Contracts.Workflows.V1.Case> ReplayRetiredAsync()
        {
            await flow.Mesh.Clients.Items.UpdateItemAsync(new UpdateItemRequest { Item = new Item { Name = item.Name, State = ItemState.Inactive }, UpdateMask = new FieldMask { Paths = { "state" } } });
            var parked = await flow.Mesh.Scenario.WaitForCaseAsync(EventId, c => c.State == CaseState.Exception, Settle, CancellationToken.None);
            await flow.Mesh.Clients.Cases.ReplayExceptionAsync(new ReplayExceptionRequest { Name = parked.Name });
            return await flow.Mesh.Scenario.WaitForCaseAsync(EventId, c => c.Reason != parked.Reason, Settle, CancellationToken.None);
        }

        public async Task<decimal> OnHandAsync() =>
            (await flow.Mesh.Clients.Inventory.GetInventoryBalanceAsync(new GetInventoryBalanceRequest { Name = balance })).OnHand.ToDecimal();

        /// <summary>The charge the case captured, found by its request id (as the saga looks for it), or null.</summary>
        public async Task<PatientCharge?> ChargeAsync() =>
            (await flow.Mesh.Clients.Charges.ListChargesAsync(new ListChargesRequest { RequestId = $"{EventId}.charge" })).Charges.SingleOrDefault();
    }
}
