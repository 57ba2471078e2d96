using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts;
using Mesh.Contracts.Classification;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Contracts.Workflows.V1;

namespace Mesh.Scenarios;

/// <summary>The shape of a run: how much master data, how much stock, and what share of the events misbehave.</summary>
/// <param name="Events">Consumption events to send.</param>
/// <param name="Locations">Par locations (operating rooms, cath labs) to spread them over.</param>
/// <param name="DuplicateShare">Share of events sent twice, as a redelivering integration engine would.</param>
/// <param name="OutOfOrder">Send every location's events latest occurrence first, as a feed replaying a backlog would.</param>
/// <param name="UnknownItemShare">Share of events naming an item master data does not know.</param>
/// <param name="Seed">The random seed, so a run can be repeated.</param>
public sealed record ScenarioSpec(int Events, int Locations = 4, double DuplicateShare = 0.05, double UnknownItemShare = 0.0, int Seed = 7, bool OutOfOrder = false);

/// <summary>The master data and stock a run created, and the stock each balance started with.</summary>
public sealed record SeededCatalog(string RunId, IReadOnlyList<Item> Items, IReadOnlyList<Location> Locations, IReadOnlyDictionary<string, decimal> StartingStock);

/// <summary>
/// The inventory-to-charge scenario, as a clinical system and a finance controller would run it: seed master data
/// and stock, send ItemConsumed events (some duplicated), wait until every case settled, and reconcile what each
/// system holds. Talks to the mesh only through a Dapr sidecar, so it runs against `mesh run` or real Dapr alike.
/// </summary>
public sealed class InventoryToChargeScenario(MeshClients mesh)
{
    /// <summary>Creates cost centers, locations, the storeroom's items and a stocked balance for each.</summary>
    public async Task<SeededCatalog> SeedAsync(ScenarioSpec spec, CancellationToken ct)
    {
        var run = $"r{Guid.NewGuid():N}"[..9];
        var items = new List<Item>();
        for (var i = 0; i < Supply.Storeroom.Count; i++)
        {
            items.Add(await CallAsync(() => mesh.Items.CreateItemAsync(new CreateItemRequest { ItemId = $"{run}-item-{i}", RequestId = $"{run}-item-{i}", Item = Supply.Storeroom[i].ToItem($"MDM-{run}-{i}") }, cancellationToken: ct).ResponseAsync, ct));
        }

        var locations = new List<Location>();
        var startingStock = new Dictionary<string, decimal>(StringComparer.Ordinal);
        // About twice the expected consumption (two units an event on average), so a run rarely runs out; the
        // reorder point at 80% of par, as for par locations restocked daily, so a run crosses it often.
        var perBalance = Math.Max(25, (int)Math.Ceiling(4.0 * spec.Events / (spec.Locations * items.Count)));
        for (var l = 0; l < spec.Locations; l++)
        {
            var costCenter = await CallAsync(() => mesh.CostCenters.CreateCostCenterAsync(new CreateCostCenterRequest
            {
                CostCenterId = $"{run}-cc-{l}",
                RequestId = $"{run}-cc-{l}",
                CostCenter = new CostCenter { Code = $"{run}-{7100 + l}", DisplayName = $"Perioperative services {l + 1}", CompanyCode = "1000", Department = "Surgery" },
            }, cancellationToken: ct).ResponseAsync, ct);
            var location = await CallAsync(() => mesh.Locations.CreateLocationAsync(new CreateLocationRequest
            {
                LocationId = $"{run}-or-{l}",
                RequestId = $"{run}-or-{l}",
                Location = new Location { DisplayName = $"Operating room {l + 1}", Type = LocationType.OperatingRoom, Facility = "main-campus", CostCenter = costCenter.Name },
            }, cancellationToken: ct).ResponseAsync, ct);
            locations.Add(location);
            foreach (var item in items)
            {
                var balance = await CallAsync(() => mesh.Inventory.UpdateInventoryBalanceAsync(new UpdateInventoryBalanceRequest
                {
                    InventoryBalance = new InventoryBalance
                    {
                        Name = BalanceName(location.Name, item.Name),
                        Item = item.Name,
                        Location = location.Name,
                        ParLevel = Quantity.Of(perBalance, item.StockingUnit),
                        ReorderPoint = Quantity.Of(Math.Ceiling(perBalance * 0.8m), item.StockingUnit),
                    },
                    UpdateMask = new FieldMask { Paths = { "par_level", "reorder_point" } },
                }, cancellationToken: ct).ResponseAsync, ct);
                await CallAsync(() => mesh.Inventory.CreateStockMovementAsync(new CreateStockMovementRequest
                {
                    Parent = location.Name,
                    RequestId = $"{run}-receipt-{location.Name}-{item.Name}",
                    StockMovement = new StockMovement
                    {
                        Type = StockMovementType.Receipt, Item = item.Name, Location = location.Name,
                        Delta = Quantity.Of(perBalance, item.StockingUnit), SourceDocument = $"{run}-opening-stock",
                    },
                }, cancellationToken: ct).ResponseAsync, ct);
                startingStock[balance.Name] = perBalance;
            }
        }

        return new SeededCatalog(run, items, locations, startingStock);
    }

    /// <summary>Consumption events for random patients, supplies and rooms; some name an unknown item.</summary>
    public static List<ItemConsumed> Consumptions(SeededCatalog catalog, ScenarioSpec spec)
    {
        var random = new Random(spec.Seed);
        var events = new List<ItemConsumed>(spec.Events);
        for (var i = 0; i < spec.Events; i++)
        {
            var item = catalog.Items[random.Next(catalog.Items.Count)];
            var location = catalog.Locations[random.Next(catalog.Locations.Count)];
            var unknown = random.NextDouble() < spec.UnknownItemShare;
            var encounter = random.Next(100_000, 999_999);
            events.Add(new ItemConsumed
            {
                Context = new EventContext
                {
                    EventId = $"{catalog.RunId}-evt-{i:D6}",
                    Source = "ehr/periop-documentation",
                    // The surgical case, never derived from the encounter: correlation ids are not patient data.
                    CorrelationId = $"{catalog.RunId}-case-{i / 3:D6}",
                },
                Item = unknown ? $"items/{catalog.RunId}-not-in-master-data" : item.Name,
                Location = location.Name,
                Quantity = Quantity.Of(random.Next(1, 4), item.StockingUnit),
                Patient = new PatientReference { Mrn = $"MRN{random.Next(1_000_000, 9_999_999)}", MrnSystem = "urn:oid:2.16.840.1.113883.19.5", EncounterId = $"ENC{encounter}" },
                RecordedBy = $"rn-{random.Next(100, 999)}",
                ClinicalOrderId = $"ORD{random.Next(1_000_000, 9_999_999)}",
            });
        }

        return events;
    }

    /// <summary>
    /// Publishes the events with up to <paramref name="parallelism"/> in flight, stamping each with the time it
    /// is sent (or, out of order, with increasing occurrence times, then sent newest first); the share of duplicates is
    /// published a second time after all the originals. A publish the mesh
    /// turned away while restarting is sent again (the saga takes an event id once, so a copy that did land is harmless).
    /// </summary>
    public async Task<int> SendAsync(IReadOnlyList<ItemConsumed> events, ScenarioSpec spec, int parallelism, CancellationToken ct)
    {
        var random = new Random(spec.Seed + 1);
        var duplicates = events.Where(_ => random.NextDouble() < spec.DuplicateShare).ToList();
        var topic = ContractCatalog.TopicOf(ItemConsumed.Descriptor);
        IEnumerable<ItemConsumed> sent = events;
        if (spec.OutOfOrder)
        {
            // Each event occurs a millisecond after the one before it; they leave newest first, per location too.
            var start = DateTime.UtcNow;
            for (var i = 0; i < events.Count; i++)
            {
                events[i].Context.OccurTime ??= Timestamp.FromDateTime(start.AddMilliseconds(i));
            }

            sent = events.Reverse();
            duplicates.Reverse();
        }

        await Parallel.ForEachAsync(sent.Concat(duplicates), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct }, async (consumed, token) =>
        {
            consumed.Context.OccurTime ??= Timestamp.FromDateTime(DateTime.UtcNow);
            var data = System.Text.Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(consumed));
            await CallAsync(async () =>
            {
                await mesh.Dapr.PublishByteEventAsync(mesh.PubSub, topic, data, "application/json", new Dictionary<string, string> { ["cloudevent.id"] = consumed.Context.EventId }, token);
                return true;
            }, token);
        });
        return duplicates.Count;
    }

    /// <summary>The flow of the inventory-to-charge cases, "flows/inventory-to-charge".</summary>
    public const string Flow = "flows/inventory-to-charge";

    /// <summary>The case of an ItemConsumed event.</summary>
    public static string CaseName(string eventId) => $"{Flow}/cases/{eventId}";

    /// <summary>The ItemConsumed event id of a case.</summary>
    public static string EventIdOf(Case @case) => @case.Name[(@case.Name.LastIndexOf('/') + 1)..];

    /// <summary>Waits until every event's case has an outcome, or the timeout; reports progress as (settled, total).</summary>
    public async Task<List<Case>> AwaitSettledAsync(IReadOnlyList<string> eventIds, TimeSpan timeout, Action<int, int>? progress, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        var settled = new Dictionary<string, Case>(StringComparer.Ordinal);
        while (true)
        {
            // Once every case has concluded, one more read of them all: a parked case is taken up again when its event is
            // sent again, so what is returned is how each case stands now, not how it stood when first seen.
            var complete = settled.Count == eventIds.Count;
            var read = false;
            try
            {
                foreach (var chunk in (complete ? eventIds : eventIds.Where(id => !settled.ContainsKey(id))).Chunk(1000))
                {
                    var batch = await mesh.Cases.BatchGetCasesAsync(new BatchGetCasesRequest { Parent = Flow, Names = { chunk.Select(CaseName) } }, cancellationToken: ct);
                    foreach (var concluded in batch.Cases)
                    {
                        settled[EventIdOf(concluded)] = concluded;
                    }
                }

                read = true;
            }
            catch (RpcException e) when (MeshClients.IsTransient(e))
            {
                // The workflows app is restarting (a crash, a deployment): look again next round.
            }

            progress?.Invoke(settled.Count, eventIds.Count);
            if ((complete && read) || limit.IsCancellationRequested)
            {
                return [.. eventIds.Where(settled.ContainsKey).Select(id => settled[id])];
            }

            if (settled.Count == eventIds.Count)
            {
                continue;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), limit.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Timed out: one last look above, then return what settled.
            }
        }
    }

    /// <summary>Waits until the case of an event has concluded with an outcome that satisfies <paramref name="condition"/>.</summary>
    public async Task<Case> WaitForCaseAsync(string eventId, Func<Case, bool> condition, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                var read = await mesh.Cases.GetCaseAsync(new GetCaseRequest { Name = CaseName(eventId) }, cancellationToken: ct);
                if (read.State != CaseState.Running && condition(read))
                {
                    return read;
                }
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                // The event has not reached the workflows app yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the case of event {eventId} did not reach the expected outcome within {timeout.TotalSeconds:0}s");
            }

            await Task.Delay(100, ct);
        }
    }

    /// <summary>Reads back what inventory, charges and the ERP hold for the run's events and reconciles it with the cases.</summary>
    public async Task<ReconciliationReport> ReconcileAsync(SeededCatalog catalog, IReadOnlyList<ItemConsumed> events, int duplicatesSent, IReadOnlyList<Case> cases, CancellationToken ct)
    {
        var eventIds = events.Select(e => e.Context.EventId).ToHashSet(StringComparer.Ordinal);
        var movements = new List<StockMovement>();
        foreach (var location in catalog.Locations)
        {
            movements.AddRange((await Pages.AllAsync<StockMovement>(async token =>
            {
                var page = await mesh.Inventory.ListStockMovementsAsync(new ListStockMovementsRequest { Parent = location.Name, PageSize = 1000, PageToken = token }, cancellationToken: ct);
                return (page.StockMovements, page.NextPageToken);
            })).Items);
        }

        var (charges, _) = await Pages.AllAsync<Mesh.Contracts.Charges.V1.PatientCharge>(async token =>
        {
            var page = await mesh.Charges.ListChargesAsync(new Mesh.Contracts.Charges.V1.ListChargesRequest { PageSize = 1000, PageToken = token }, cancellationToken: ct);
            return (page.Charges, page.NextPageToken);
        });
        var postings = await ErpPostingsAsync(ct);
        var balances = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var name in catalog.StartingStock.Keys)
        {
            balances[name] = (await mesh.Inventory.GetInventoryBalanceAsync(new GetInventoryBalanceRequest { Name = name }, cancellationToken: ct)).OnHand?.ToDecimal() ?? 0;
        }

        return ReconciliationReport.Build(catalog, events, duplicatesSent, cases,
            [.. movements.Where(m => eventIds.Contains(m.SourceDocument))],
            [.. charges.Where(c => eventIds.Contains(c.SourceEventId))],
            [.. postings.Where(p => eventIds.Contains(p.Reference))],
            balances);
    }

    /// <summary>The name of the balance of an item at a location.</summary>
    public static string BalanceName(string location, string item) => $"{location}/balances/{item["items/".Length..]}";

    /// <summary>Every journal entry the ERP booked, from its export, in document order.</summary>
    public async Task<List<ErpPosting>> ErpPostingsAsync(CancellationToken ct) =>
        [.. (await ErpExport.AllAsync<ErpExportEntry>(mesh.Erp, "/erp/v1/journal-entries", e => e.DocumentNumber, ct)).Select(e => new ErpPosting(e.DocumentNumber, e.Entry.Reference))];

    // Seeding may start while the apps are still coming up behind their sidecars, and a send may meet the mesh
    // restarting (its sidecars gone for the seconds a new mesh run takes to start them): about a minute of patience.
    private static async Task<T> CallAsync<T>(Func<Task<T>> call, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (MeshClients.IsTransient(e) && attempt < 40)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(250 * attempt, 2000)), ct);
            }
        }
    }

    private sealed record ErpExportEntry(string DocumentNumber, ErpExportBody Entry);

    private sealed record ErpExportBody(string Reference);
}

/// <summary>A journal entry as the ERP booked it.</summary>
public sealed record ErpPosting(string DocumentNumber, string Reference);
