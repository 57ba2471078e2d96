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
/// The flow with a saga that gives up on a step after two quick attempts, so a case parks in seconds, and master data,
/// inventory and charges able to lose their replies.
/// </summary>
public sealed class FaultyFlow : IAsyncLifetime
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

    /// <summary>Lifts every fault: replies arrive again and the ERP is back to normal.</summary>
    public async Task HealAsync()
    {
        LostReplies.Restore();
        await Mesh.Clients.SetErpChaosAsync("Normal", CancellationToken.None);
    }

    public async Task DisposeAsync() => await Mesh.DisposeAsync();
}

/// <summary>
/// One consumption of two units of a freshly seeded item, sent with a fault or an oddity in place, and what each
/// system holds about it afterwards.
/// </summary>
public sealed class ConsumptionRun(FaultyFlow flow, ItemConsumed consumed, Item item, string balance, decimal startingStock)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);
    private static readonly ScenarioSpec One = new(Events: 1, Locations: 1, DuplicateShare: 0);

    /// <summary>The event to send (a test may change it before <see cref="ConcludeAsync"/>).</summary>
    public ItemConsumed Consumed => consumed;

    /// <summary>The item consumed, as seeded.</summary>
    public Item Item => item;

    public string EventId => consumed.Context.EventId;

    public decimal StartingStock => startingStock;

    /// <summary>Seeds a catalog and picks a <paramref name="chargeable"/> (or floor-stock) item of it.</summary>
    public static async Task<ConsumptionRun> StartAsync(FaultyFlow flow, bool chargeable)
    {
        var catalog = await flow.Mesh.Scenario.SeedAsync(One, CancellationToken.None);
        var item = catalog.Items.First(i => i.Chargeable == chargeable);
        var consumed = InventoryToChargeScenario.Consumptions(catalog, One).Single();
        consumed.Item = item.Name;
        consumed.Quantity = Quantity.Of(2, item.StockingUnit);
        var balance = InventoryToChargeScenario.BalanceName(consumed.Location, consumed.Item);
        return new ConsumptionRun(flow, consumed, item, balance, catalog.StartingStock[balance]);
    }

    /// <summary>Changes the item in master data (<paramref name="paths"/> of <paramref name="change"/>, whose name is set here).</summary>
    public async Task ChangeItemAsync(Item change, params string[] paths)
    {
        change.Name = item.Name;
        await flow.Mesh.Clients.Items.UpdateItemAsync(new UpdateItemRequest { Item = change, UpdateMask = new FieldMask { Paths = { paths } } });
    }

    /// <summary>
    /// Sends the event with a fault in place (the ERP in <paramref name="erpMode"/>, the replies of the gRPC method
    /// <paramref name="lostReplyOf"/> lost) and waits until its case concluded; the fault is then lifted.
    /// </summary>
    public async Task<Case> ConcludeAsync(string erpMode = "Normal", string? lostReplyOf = null)
    {
        await flow.Mesh.Clients.SetErpChaosAsync(erpMode, CancellationToken.None);
        if (lostReplyOf is not null)
        {
            flow.LostReplies.Lose(lostReplyOf);
        }

        await flow.Mesh.Scenario.SendAsync([consumed], One, 1, CancellationToken.None);
        var concluded = await flow.Mesh.Scenario.WaitForCaseAsync(EventId, _ => true, Settle, CancellationToken.None);
        await flow.HealAsync();
        return concluded;
    }

    /// <summary>Replays the case on the exception queue and waits until the replay concluded otherwise.</summary>
    public async Task<Case> ReplayAsync()
    {
        var parked = await flow.Mesh.Scenario.WaitForCaseAsync(EventId, c => c.State == CaseState.Exception, Settle, CancellationToken.None);
        await flow.Mesh.Clients.Cases.ReplayExceptionAsync(new ReplayExceptionRequest { Name = parked.Name });
        return await flow.Mesh.Scenario.WaitForCaseAsync(EventId, c => c.State != parked.State || c.Reason != parked.Reason, Settle, CancellationToken.None);
    }

    /// <summary>Sends the event again, as a sender that resends does, and waits until its case is <paramref name="state"/>.</summary>
    public async Task<Case> SendAgainAsync(CaseState state)
    {
        await flow.Mesh.Scenario.SendAsync([consumed], One, 1, CancellationToken.None);
        return await flow.Mesh.Scenario.WaitForCaseAsync(EventId, c => c.State == state, Settle, CancellationToken.None);
    }

    /// <summary>Retires the item in master data, then replays the parked case.</summary>
    public async Task<Case> ReplayRetiredAsync()
    {
        await ChangeItemAsync(new Item { State = ItemState.Inactive }, "state");
        return await ReplayAsync();
    }

    public async Task<decimal> OnHandAsync() =>
        (await flow.Mesh.Clients.Inventory.GetInventoryBalanceAsync(new GetInventoryBalanceRequest { Name = balance })).OnHand.ToDecimal();

    /// <summary>The charge the case captured, found by its request id (as the saga looks for it), or null.</summary>
    public async Task<PatientCharge?> ChargeAsync() =>
        (await flow.Mesh.Clients.Charges.ListChargesAsync(new ListChargesRequest { RequestId = $"{EventId}.charge" })).Charges.SingleOrDefault();

    /// <summary>The ERP's postings for the case, and those reversing one of them (whose reference is the reversed journal entry).</summary>
    public async Task<(int Postings, int Reversals)> ErpAsync(Case concluded)
    {
        var postings = await flow.Mesh.Scenario.ErpPostingsAsync(CancellationToken.None);
        var entry = concluded.InventoryToCharge.JournalEntry;
        return (postings.Count(p => p.Reference == EventId), entry.Length == 0 ? 0 : postings.Count(p => p.Reference == entry));
    }

    /// <summary>
    /// Whether the case left nothing behind: stock as it started, no charge or a voided one, and every ERP posting
    /// balanced by its reversal.
    /// </summary>
    public async Task<bool> LeftNothingAsync(Case concluded)
    {
        var erp = await ErpAsync(concluded);
        return await OnHandAsync() == startingStock && (await ChargeAsync()) is null or { State: ChargeState.Voided } && erp.Postings == erp.Reversals;
    }
}
