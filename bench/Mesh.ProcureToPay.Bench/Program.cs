// Procure-to-pay benchmark: requisition-to-payment cycles per second through the whole flow (procurement's outbox →
// pub/sub → the ProcureToPay saga → master data, procurement, the ERP, inventory, finance), every app behind its own
// embedded sidecar, with the share of saga time in each step. Baseline in the same run: the same cases driven by
// calling the saga's activities directly, same concurrency, on a mesh of the same apps whose workflows app receives no
// events (its pub/sub is one no component provides) — so the ratio is what events and durable orchestration cost.
// Each party's own work (the ward's requisition, the approver's decision, the dock's receipt, the supplier's invoice)
// is done by the driver in both. Several rounds, interleaved.
// Run: dotnet run -c Release --project bench/Mesh.ProcureToPay.Bench [-- requisitions [concurrency [rounds]]]
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Dapr.Workflow;
using Mesh.Contracts.Procurement.V1;
using Mesh.Scenarios;
using Mesh.Testing;
using Mesh.Testing.Apps;
using Mesh.Workflows.ProcureToPay;
using Mesh.Workflows.ProcureToPay.Activities;
using Microsoft.Extensions.DependencyInjection;

var requisitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60;
var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
var spec = new ProcureToPaySpec(requisitions, Rejected: 0, Partial: 0, PriceMismatch: 0, Duplicates: 0);
// No approver waits and no invoice waits for goods in either path: the window only bounds a stuck case.
var saga = new Dictionary<string, string?> { ["Workflows:ProcureToPay:InvoiceReceiptWindow"] = "1.00:00:00", ["Logging:LogLevel:Default"] = "Warning" };

TestApp[] Apps(Dictionary<string, string?> workflows) =>
[
    InventoryToChargeApps.Erp(), InventoryToChargeApps.MasterData(), InventoryToChargeApps.Inventory(), InventoryToChargeApps.Finance(),
    InventoryToChargeApps.Procurement(), InventoryToChargeApps.Workflows(workflows), TestApp.Client("clinic"),
];

await using var flowMesh = await TestMesh.StartAsync(Apps(saga));
await using var directMesh = await TestMesh.StartAsync(Apps(new(saga) { ["Workflows:PubSub"] = "no-events" }));
using var flowClients = new MeshClients(flowMesh.GrpcEndpointOf("clinic"), flowMesh.HttpEndpointOf("clinic"));
using var directClients = new MeshClients(directMesh.GrpcEndpointOf("clinic"), directMesh.HttpEndpointOf("clinic"));
var flowScenario = new ProcureToPayScenario(flowClients);
await flowScenario.SeedAsync(CancellationToken.None);
await new ProcureToPayScenario(directClients).SeedAsync(CancellationToken.None);

// Warm-up: JIT, connections and the workflow worker's stream, on a run of each path.
await DirectAsync(spec with { Requisitions = 8 });
await FlowAsync(spec with { Requisitions = 8 });

var results = new List<(double Direct, double Flow, bool Reconciled, IReadOnlyDictionary<string, double> DirectShares, IReadOnlyDictionary<string, double> FlowShares)>();
for (var round = 1; round <= rounds; round++)
{
    var direct = await DirectAsync(spec);
    var flow = await FlowAsync(spec);
    results.Add((direct.Rate, flow.Rate, flow.Reconciled, direct.Shares, flow.Shares));
    Console.WriteLine($"round {round}: direct {direct.Rate:F2} cycles/s, whole flow {flow.Rate:F2} cycles/s ({flow.Rate / direct.Rate:F2} of direct), reconciled {flow.Reconciled}");
}

var ratios = results.Select(r => r.Flow / r.Direct).Order().ToList();
Console.WriteLine();
Console.WriteLine($"Procure-to-pay, {requisitions} requisitions per round ({concurrency} at once), {rounds} rounds, 6 apps + 7 sidecars + redis-server per mesh, two meshes ({Environment.ProcessorCount} cores):");
Console.WriteLine($"  direct (activities called in a loop)   median {Median(results.Select(r => r.Direct)),7:F2} cycles/s  (range {results.Min(r => r.Direct):F2}-{results.Max(r => r.Direct):F2})");
Console.WriteLine($"  whole flow (events + durable saga)     median {Median(results.Select(r => r.Flow)),7:F2} cycles/s  (range {results.Min(r => r.Flow):F2}-{results.Max(r => r.Flow):F2})");
Console.WriteLine($"  ratio                                  median {Median(ratios),7:F2}             (range {ratios[0]:F2}-{ratios[^1]:F2}); every flow round reconciled: {results.All(r => r.Reconciled)}");
Console.WriteLine("  share of time per step      flow     direct");
var flowShares = Mean(results.Select(r => r.FlowShares));
var directShares = Mean(results.Select(r => r.DirectShares));
foreach (var step in flowShares.Keys.Union(directShares.Keys).OrderByDescending(s => flowShares.GetValueOrDefault(s)))
{
    Console.WriteLine($"    {step,-12}          {flowShares.GetValueOrDefault(step),8:P1}   {directShares.GetValueOrDefault(step),8:P1}");
}

async Task<(double Rate, bool Reconciled, IReadOnlyDictionary<string, double> Shares)> FlowAsync(ProcureToPaySpec run)
{
    var runId = Guid.NewGuid().ToString("N")[..8];
    var records = new ConcurrentDictionary<int, RunRecord>();
    var watch = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, run.Requisitions), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
        records[i] = await flowScenario.RunAsync(i, runId, run, TimeSpan.FromMinutes(5), ct));
    var ordered = records.OrderBy(r => r.Key).Select(r => r.Value).ToList();
    var cases = await flowScenario.AwaitSettledAsync(ordered, TimeSpan.FromMinutes(10), CancellationToken.None);
    var rate = cases.Count(c => c.ProcureToPay.Outcome == "completed") / watch.Elapsed.TotalSeconds;
    var report = await flowScenario.ReconcileAsync(ordered, cases, new Dictionary<string, decimal>(), CancellationToken.None);
    var steps = cases.SelectMany(c => c.Steps).Select(s => (s.Step, Ms: s.Duration.ToTimeSpan().TotalMilliseconds)).ToList();
    return (rate, report.Balances && report.Completed == run.Requisitions, Shares(steps));
}

async Task<(double Rate, IReadOnlyDictionary<string, double> Shares)> DirectAsync(ProcureToPaySpec run)
{
    var runId = Guid.NewGuid().ToString("N")[..8];
    var services = directMesh.ServicesOf("workflows");
    var intake = services.GetRequiredService<ProcurementIntake>();
    var timings = new ConcurrentBag<(string Step, double Ms)>();
    async Task<T> Step<T>(string step, Func<Task<T>> work)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await work();
        timings.Add((step, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
        return result;
    }

    T Activity<T>() => ActivatorUtilities.CreateInstance<T>(services);
    // The activities ignore their context; the workflow runtime is what this baseline leaves out.
    WorkflowActivityContext none = null!;
    var clients = directClients;
    var watch = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, run.Requisitions), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
    {
        var created = await clients.Requisitions.CreateRequisitionAsync(ProcureToPayScenario.RequisitionOf(i, runId, run), cancellationToken: ct);
        var submitted = await clients.Requisitions.SubmitRequisitionAsync(new SubmitRequisitionRequest { Name = created.Name }, cancellationToken: ct);
        var input = intake.CaseOf(submitted);
        var check = await Step("validate", () => Activity<ValidateRequisition>().RunAsync(none, input));
        var approver = input.Approvers[0];
        await Step("approval", async () =>
        {
            await Activity<RouteRequisition>().RunAsync(none, new RouteTo(input.Requisition, approver));
            return await clients.Requisitions.ApproveRequisitionAsync(new ApproveRequisitionRequest { Name = created.Name, Reviewer = approver }, cancellationToken: ct);
        });
        var orders = await Step("order", () => Activity<PlaceOrders>().RunAsync(none, new OrdersToPlace(input, check.Lines, approver)));
        foreach (var name in orders)
        {
            var order = await clients.PurchaseOrders.GetPurchaseOrderAsync(new GetPurchaseOrderRequest { Name = name }, cancellationToken: ct);
            await Step("receive", async () =>
            {
                var receipt = await clients.Receipts.CreateGoodsReceiptAsync(ProcureToPayScenario.ReceiptOf(order, 1m), cancellationToken: ct);
                return await Activity<PutReceiptOnHand>().RunAsync(none, receipt.Name);
            });
            var invoice = await Step("match", async () =>
            {
                var invoice = await clients.Invoices.CreateSupplierInvoiceAsync(ProcureToPayScenario.InvoiceOf(order, 1m, submitted.SubmitTime.ToDateTimeOffset()), cancellationToken: ct);
                var matched = await Activity<MatchInvoice>().RunAsync(none, invoice.Name);
                return matched.Ok ? invoice.Name : throw new InvalidOperationException($"{invoice.Name} did not match: {matched.Status}");
            });
            await Step("post", () => Activity<PostLiability>().RunAsync(none, invoice));
        }
    });
    return (run.Requisitions / watch.Elapsed.TotalSeconds, Shares(timings));
}

static IReadOnlyDictionary<string, double> Shares(IEnumerable<(string Step, double Ms)> timings)
{
    var list = timings.ToList();
    var total = Math.Max(list.Sum(t => t.Ms), 0.001);
    return list.GroupBy(t => t.Step).ToDictionary(g => g.Key, g => g.Sum(t => t.Ms) / total);
}

static Dictionary<string, double> Mean(IEnumerable<IReadOnlyDictionary<string, double>> shares)
{
    var all = shares.ToList();
    return all.SelectMany(s => s.Keys).Distinct().ToDictionary(k => k, k => all.Average(s => s.GetValueOrDefault(k)));
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}
