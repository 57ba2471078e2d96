using Grpc.Core;
using Mesh.Contracts;
using Mesh.Contracts.Classification;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Contracts.Workflows.V1;
using Mesh.Scenarios;
using Mesh.Testing;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>The inventory-to-charge flow end to end: real Redis, real sidecars, real apps, the stock Dapr SDK.</summary>
public sealed class InventoryToChargeTests(InventoryToChargeMesh mesh) : IClassFixture<InventoryToChargeMesh>, IAsyncLifetime
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(120);

    public Task InitializeAsync() => mesh.SetErpAsync("Normal");

    public Task DisposeAsync() => mesh.SetErpAsync("Normal");

    [Fact]
    public async Task HappyPath_ABatchOfEvents_ReconcilesAcrossEverySystem()
    {
        var spec = new ScenarioSpec(Events: 40, Locations: 2, DuplicateShare: 0.1);
        var catalog = await mesh.Scenario.SeedAsync(spec, CancellationToken.None);
        var events = InventoryToChargeScenario.Consumptions(catalog, spec);

        var (report, _) = await mesh.RunAsync(catalog, events, spec, Settle);

        Assert.True(report.Balances, report.Format());
        Assert.Equal(40, report.Completed);
        Assert.True(report.DuplicatesSent > 0, "the run should have sent some events twice");
        Assert.Equal(0, report.Duplicates);
        Assert.True(report.ChargesCaptured > 0 && report.ChargesCaptured < 40, "billable and floor-stock supplies are both in the mix");
        Assert.Equal(40, report.ErpPostings);
        Assert.True(report.ReorderPointsReached > 0, "some balance should have fallen below its reorder point");
        // Every captured charge, every posting and every reorder point reached was announced once, by the service that
        // made the change, through its outbox.
        Assert.Equal(report.ChargesCaptured, await AnnouncedAsync("charges", ChargeCaptured.Descriptor, catalog.RunId));
        Assert.Equal(report.ErpPostings, await AnnouncedAsync("finance", CostPosted.Descriptor, catalog.RunId));
        Assert.Equal(report.ReorderPointsReached, await AnnouncedAsync("inventory", ReorderPointReached.Descriptor, catalog.RunId));
        // The saga logged about each case at Information level, and never a patient identifier.
        Assert.Contains(events[0].Context.EventId, mesh.Workflows.Output, StringComparison.Ordinal);
        Assert.All(events, e => Assert.DoesNotContain(e.Patient.Mrn, mesh.Workflows.Output, StringComparison.Ordinal));
        Assert.All(events, e => Assert.DoesNotContain(e.Patient.EncounterId, mesh.Workflows.Output, StringComparison.Ordinal));
        Assert.All(events, e => Assert.DoesNotContain(e.ClinicalOrderId, mesh.Workflows.Output, StringComparison.Ordinal));
        Assert.All(events, e => Assert.DoesNotContain($"\"{e.RecordedBy}\"", mesh.Workflows.Output, StringComparison.Ordinal));
    }

    [Fact]
    public async Task DuplicateDelivery_OfOneEvent_HasOneEffectInEachSystem()
    {
        var spec = new ScenarioSpec(Events: 1, Locations: 1, DuplicateShare: 0);
        var catalog = await mesh.Scenario.SeedAsync(spec, CancellationToken.None);
        var consumed = InventoryToChargeScenario.Consumptions(catalog, spec).Single();
        var balance = InventoryToChargeScenario.BalanceName(consumed.Location, consumed.Item);

        // The clinical system's integration engine resends the same event, concurrently and later.
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => mesh.Scenario.SendAsync([consumed.Clone()], spec, 1, CancellationToken.None)));
        var first = await mesh.Scenario.AwaitSettledAsync([consumed.Context.EventId], Settle, null, CancellationToken.None);
        await mesh.Scenario.SendAsync([consumed.Clone()], spec, 1, CancellationToken.None);
        // The late copy has had its effect, if any, once the workflows app answered its delivery and its sidecar acknowledged it.
        await mesh.AcknowledgedAsync(ContractCatalog.TopicOf(ItemConsumed.Descriptor), Settle);
        var report = await mesh.Scenario.ReconcileAsync(catalog, [consumed], 3, first, CancellationToken.None);
        var onHand = (await mesh.Clients.Inventory.GetInventoryBalanceAsync(new GetInventoryBalanceRequest { Name = balance })).OnHand.ToDecimal();

        Assert.True(report.Balances, report.Format());
        Assert.Equal(1, report.StockMovements);
        Assert.Equal(1, report.ErpPostings);
        Assert.Equal(catalog.StartingStock[balance] - consumed.Quantity.ToDecimal(), onHand);
        Assert.Equal(0, report.Duplicates);
    }

    [Fact]
    public async Task ErpDownForAWhile_ThenBack_EveryPostingLandsExactlyOnce()
    {
        var spec = new ScenarioSpec(Events: 8, Locations: 1, DuplicateShare: 0);
        var catalog = await mesh.Scenario.SeedAsync(spec, CancellationToken.None);
        var events = InventoryToChargeScenario.Consumptions(catalog, spec);

        // Each phase lasts until the ERP has turned away enough of finance's attempts, however fast they come.
        await mesh.SetErpAsync("Down");
        await mesh.Scenario.SendAsync(events, spec, 4, CancellationToken.None);
        await mesh.Clients.TurnAwayAtErpAsync("Down", 8, Settle, CancellationToken.None);
        var duringOutage = await mesh.Scenario.AwaitSettledAsync([.. events.Select(e => e.Context.EventId)], TimeSpan.Zero, null, CancellationToken.None);
        await mesh.Clients.TurnAwayAtErpAsync("Unavailable", 4, Settle, CancellationToken.None);
        await mesh.SetErpAsync("Normal");
        var cases = await mesh.Scenario.AwaitSettledAsync([.. events.Select(e => e.Context.EventId)], Settle, null, CancellationToken.None);
        var report = await mesh.Scenario.ReconcileAsync(catalog, events, 0, cases, CancellationToken.None);

        Assert.Empty(duringOutage);
        Assert.True(report.Balances, report.Format());
        Assert.Equal(8, report.Completed);
        Assert.Equal(8, report.ErpPostings);
        Assert.Equal(0, report.DuplicatePostings);
    }

    [Fact]
    public async Task UnknownItemOrLocation_GoesToTheExceptionQueue_AndChangesNothing()
    {
        var spec = new ScenarioSpec(Events: 2, Locations: 1, DuplicateShare: 0);
        var catalog = await mesh.Scenario.SeedAsync(spec, CancellationToken.None);
        var events = InventoryToChargeScenario.Consumptions(catalog, spec);
        events[0].Item = $"items/{catalog.RunId}-never-created";
        events[1].Location = $"locations/{catalog.RunId}-no-such-room";

        var (report, cases) = await mesh.RunAsync(catalog, events, spec, Settle);
        var queue = await QueueAsync();

        Assert.Equal(["unknown_item", "unknown_location"], cases.Select(c => c.Reason));
        Assert.All(cases, c => Assert.Equal(CaseState.Exception, c.State));
        Assert.Equal(0, report.StockMovements + report.ChargesCaptured + report.ChargesVoided + report.ErpPostings);
        Assert.Equal(0, report.BalancesOff);
        Assert.Contains(queue, q => q.Name == InventoryToChargeScenario.CaseName(events[0].Context.EventId) && q.Reason == "unknown_item");
        Assert.Contains(queue, q => q.Name == InventoryToChargeScenario.CaseName(events[1].Context.EventId) && q.Reason == "unknown_location");
    }

    [Fact]
    public async Task ExceptionQueue_AfterMasterDataIsFixed_TheReplayedCaseCompletesAndLeavesTheQueue()
    {
        var spec = new ScenarioSpec(Events: 1, Locations: 1, DuplicateShare: 0);
        var catalog = await mesh.Scenario.SeedAsync(spec, CancellationToken.None);
        var consumed = InventoryToChargeScenario.Consumptions(catalog, spec).Single();
        var known = catalog.Items.Single(i => i.Name == consumed.Item);
        var id = $"{catalog.RunId}-late-item";
        consumed.Item = $"items/{id}";
        var (_, refused) = await mesh.RunAsync(catalog, [consumed], spec, Settle);

        // The item master catches up: the item is created and stocked at the location.
        var item = known.Clone();
        item.Name = "";
        item.ManufacturerPartNumber = id;
        await mesh.Clients.Items.CreateItemAsync(new CreateItemRequest { ItemId = id, Item = item });
        await mesh.Clients.Inventory.CreateStockMovementAsync(new CreateStockMovementRequest
        {
            Parent = consumed.Location,
            RequestId = $"{id}-opening",
            StockMovement = new StockMovement { Type = StockMovementType.Receipt, Item = consumed.Item, Location = consumed.Location, Delta = Quantity.Of(10, item.StockingUnit) },
        });
        var name = InventoryToChargeScenario.CaseName(consumed.Context.EventId);
        var first = await mesh.Clients.Cases.ReplayExceptionAsync(new ReplayExceptionRequest { Name = name });
        // An operator clicking twice starts one replay.
        var second = await mesh.Clients.Cases.ReplayExceptionAsync(new ReplayExceptionRequest { Name = name });
        var settled = await mesh.Scenario.WaitForCaseAsync(consumed.Context.EventId, c => c.State == CaseState.Completed, Settle, CancellationToken.None);
        var queue = await QueueAsync();
        var again = await Assert.ThrowsAsync<RpcException>(() => mesh.Clients.Cases.ReplayExceptionAsync(new ReplayExceptionRequest { Name = name }).ResponseAsync);
        var report = await mesh.Scenario.ReconcileAsync(catalog with { StartingStock = new Dictionary<string, decimal> { [InventoryToChargeScenario.BalanceName(consumed.Location, consumed.Item)] = 10 } }, [consumed], 0, [settled], CancellationToken.None);

        Assert.Equal("unknown_item", Assert.Single(refused).Reason);
        Assert.Equal((first.ReplayId, true), (second.ReplayId, first.Started));
        Assert.False(second.Started);
        Assert.DoesNotContain(queue, q => q.Name == name);
        // The replay completed: the case is not on the exception queue any more.
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.Equal((1, 1, 0), (report.StockMovements, report.ErpPostings, report.BalancesOff));
    }

    [Fact]
    public async Task ErpRefusesThePosting_TheSagaVoidsTheChargeAndRestoresTheStock()
    {
        var spec = new ScenarioSpec(Events: 6, Locations: 1, DuplicateShare: 0);
        var catalog = await mesh.Scenario.SeedAsync(spec, CancellationToken.None);
        var events = InventoryToChargeScenario.Consumptions(catalog, spec);

        await mesh.SetErpAsync("Reject");
        var (report, cases) = await mesh.RunAsync(catalog, events, spec, Settle);
        var charges = await mesh.Clients.Charges.ListChargesAsync(new ListChargesRequest { PageSize = 1000 });
        var voided = charges.Charges.Where(c => c.SourceEventId.StartsWith(catalog.RunId, StringComparison.Ordinal)).ToList();

        Assert.All(cases, c => Assert.Equal((CaseState.Exception, "erp_rejected", true), (c.State, c.Reason, c.Compensated)));
        Assert.True(report.Balances, report.Format());
        Assert.Equal(0, report.BalancesOff);
        Assert.Equal(report.StockMovements, report.StockReversals);
        Assert.Equal(0, report.ErpPostings);
        Assert.All(voided, c => Assert.Equal(ChargeState.Voided, c.State));
        // Charges announced each charge when it captured it and again when the compensation voided it.
        Assert.Equal(voided.Count, await AnnouncedAsync("charges", ChargeVoided.Descriptor, catalog.RunId));
        Assert.Equal(voided.Count, await AnnouncedAsync("charges", ChargeCaptured.Descriptor, catalog.RunId));
        Assert.Equal(0, await AnnouncedAsync("finance", CostPosted.Descriptor, catalog.RunId));

        // A compensated case cannot be replayed; the operator dismisses it from the queue.
        var name = cases[0].Name;
        var replay = await Assert.ThrowsAsync<RpcException>(() => mesh.Clients.Cases.ReplayExceptionAsync(new ReplayExceptionRequest { Name = name }).ResponseAsync);
        var dismissed = await mesh.Clients.Cases.DismissExceptionAsync(new DismissExceptionRequest { Name = name });
        var queue = await QueueAsync();
        Assert.Equal(StatusCode.FailedPrecondition, replay.StatusCode);
        Assert.Contains("erp_rejected", replay.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((name, CaseState.Dismissed), (dismissed.Name, dismissed.State));
        Assert.DoesNotContain(queue, q => q.Name == name);
        Assert.Contains(queue, q => q.Name == cases[1].Name);
    }

    [Fact]
    public async Task WorkflowsAppKilledMidRun_AndRestarted_EverySagaCompletesOnce()
    {
        var spec = new ScenarioSpec(Events: 30, Locations: 2, DuplicateShare: 0);
        var catalog = await mesh.Scenario.SeedAsync(spec, CancellationToken.None);
        var events = InventoryToChargeScenario.Consumptions(catalog, spec);
        var ids = events.Select(e => e.Context.EventId).ToList();

        await mesh.Scenario.SendAsync(events, spec, 8, CancellationToken.None);
        var beforeKill = await WaitUntilSomeSettledAsync(ids, 3);
        await mesh.Workflows.KillAsync();
        await mesh.StartWorkflowsAsync();
        var cases = await mesh.Scenario.AwaitSettledAsync(ids, Settle, null, CancellationToken.None);
        var report = await mesh.Scenario.ReconcileAsync(catalog, events, 0, cases, CancellationToken.None);

        Assert.True(beforeKill < ids.Count, "the app was killed after the run had finished; nothing was in flight");
        Assert.True(report.Balances, report.Format());
        Assert.Equal(30, report.Completed);
        Assert.Equal(0, report.Duplicates);
    }

    [Fact]
    public async Task MalformedEvent_IsDeadLettered_WithoutASaga_AndLandsOnTheExceptionQueue()
    {
        var spec = new ScenarioSpec(Events: 1, Locations: 1, DuplicateShare: 0);
        var catalog = await mesh.Scenario.SeedAsync(spec, CancellationToken.None);
        var consumed = InventoryToChargeScenario.Consumptions(catalog, spec).Single();
        consumed.Patient = null;

        await mesh.Scenario.SendAsync([consumed], spec, 1, CancellationToken.None);

        // The case is parked from the dead-letter topic, so once it is, the dead letter exists.
        var parked = await mesh.Scenario.WaitForCaseAsync(consumed.Context.EventId, _ => true, Settle, CancellationToken.None);
        var deadLettered = await PublishedAsync("inventory.item.consumed.deadletter", catalog.RunId);
        var queue = await QueueAsync();
        Assert.Equal(1, deadLettered);
        Assert.Equal((CaseState.Exception, "dead_lettered", ""), (parked.State, parked.Reason, parked.InventoryToCharge.StockMovement));
        Assert.Contains(queue, q => q.Name == parked.Name);
        Assert.Equal(0, await AnnouncedAsync("charges", ChargeCaptured.Descriptor, catalog.RunId));
    }

    // The whole exception queue, page by page.
    private async Task<List<Case>> QueueAsync()
    {
        var (queue, _) = await Pages.AllAsync<Case>(async token =>
        {
            var page = await mesh.Clients.Cases.ListExceptionsAsync(new ListExceptionsRequest { Parent = InventoryToChargeScenario.Flow, PageSize = 1000, PageToken = token });
            return (page.Exceptions, page.NextPageToken);
        });
        return queue;
    }

    private async Task<int> WaitUntilSomeSettledAsync(List<string> ids, int atLeast)
    {
        for (var i = 0; i < 600; i++)
        {
            var settled = await mesh.Scenario.AwaitSettledAsync(ids, TimeSpan.Zero, null, CancellationToken.None);
            if (settled.Count >= atLeast)
            {
                return settled.Count;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"fewer than {atLeast} cases settled");
    }

    // Counts the distinct events of a type a service announced for this run: their correlation is the run's
    // consumption event, and a copy of one event (at-least-once) carries its event id.
    private async Task<int> AnnouncedAsync(string appId, Google.Protobuf.Reflection.MessageDescriptor type, string runId) =>
        (await mesh.AnnouncedAsync(appId))
            .Of(type.FullName, d => d["context"]!["correlationId"]!.GetValue<string>().StartsWith(runId, StringComparison.Ordinal))
            .Select(e => e["data"]!["context"]!["eventId"]!.GetValue<string>())
            .Distinct()
            .Count();

    // Counts the distinct CloudEvents of this run on a topic's Redis stream (redeliveries of one event share its id).
    private async Task<int> PublishedAsync(string topic, string runId)
    {
        return (await mesh.PublishedAsync(topic))
            .Select(e => e["id"]!.GetValue<string>())
            .Where(id => id.StartsWith(runId, StringComparison.Ordinal))
            .Distinct()
            .Count();
    }
}
