// Inventory-to-charge benchmark: consumption events per second through the whole flow (pub/sub → saga →
// master data, inventory, charges, finance → ERP → events), every app behind its own embedded sidecar on one
// redis-server, with the share of saga time in each step and the work per event (WorkPerEvent: CPU, requests served,
// Redis commands), which bounds the rate on this machine's cores. Baseline in the same run: the same cases driven by
// calling the saga's activities directly, same concurrency, no pub/sub and no workflow engine — so the ratio is
// what durable orchestration costs.
// Run: dotnet run -c Release --project bench/Mesh.InventoryToCharge.Bench [-- events [concurrency]]
// The cost of observability (ObservabilityCost): ... -- observability [events [concurrency [rounds]]]
using System.Diagnostics;
using System.Globalization;
using Dapr.Workflow;
using Mesh.Scenarios;
using Mesh.Testing;
using Mesh.Testing.Apps;
using Mesh.Workflows.InventoryToCharge;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

if (args.FirstOrDefault() == "observability")
{
    await ObservabilityCost.RunAsync(
        args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 300,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 32,
        args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 2);
    return;
}

var events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;
var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 32;

await using var mesh = await TestMesh.StartAsync([.. InventoryToChargeApps.Services(), InventoryToChargeApps.Workflows(), TestApp.Client("clinic")]);
using var clients = new MeshClients(mesh.GrpcEndpointOf("clinic"), mesh.HttpEndpointOf("clinic"));
var scenario = new InventoryToChargeScenario(clients);
var spec = new ScenarioSpec(events, Locations: 4, DuplicateShare: 0);
using var work = await WorkPerEvent.StartAsync(mesh.Redis);

// Warm-up: JIT, connections and the workflow worker's stream, on a run of its own.
await FlowAsync(20, null);

var direct = await DirectAsync(events);
var flow = await FlowAsync(events, "whole flow");

Console.WriteLine($"Inventory-to-charge, {events} consumption events, 6 apps + 7 sidecars + redis-server on this machine ({Environment.ProcessorCount} cores):");
Console.WriteLine($"  direct (activities called in a loop, {concurrency} at once)  {direct.Rate,8:F1} events/s");
Console.WriteLine($"  whole flow (pub/sub + durable saga)          {flow.Rate,8:F1} events/s  ({flow.Rate / direct.Rate:P0} of direct)");
Console.WriteLine($"  consumption-to-posting p50 {flow.Report!.LatencyP50Ms:0} ms, p95 {flow.Report.LatencyP95Ms:0} ms (all {events} sent at once)");
Console.WriteLine($"  reconciled: {flow.Report.Balances}, duplicates {flow.Report.Duplicates}, completed {flow.Report.Completed}");
Console.WriteLine("  share of time per step      flow     direct");
foreach (var step in flow.Report.StepShares.Keys.Union(direct.Shares.Keys).OrderByDescending(s => flow.Report.StepShares.GetValueOrDefault(s)))
{
    Console.WriteLine($"    {step,-12}          {flow.Report.StepShares.GetValueOrDefault(step),8:P1}   {direct.Shares.GetValueOrDefault(step),8:P1}");
}

async Task<(double Rate, ReconciliationReport? Report)> FlowAsync(int count, string? measured)
{
    var catalog = await scenario.SeedAsync(spec with { Events = count }, CancellationToken.None);
    var consumed = InventoryToChargeScenario.Consumptions(catalog, spec with { Events = count });
    var mark = await work.MarkAsync();
    var watch = Stopwatch.StartNew();
    await scenario.SendAsync(consumed, spec, concurrency, CancellationToken.None);
    var cases = await scenario.AwaitSettledAsync([.. consumed.Select(e => e.Context.EventId)], TimeSpan.FromMinutes(10), null, CancellationToken.None);
    var rate = cases.Count / watch.Elapsed.TotalSeconds;
    if (measured is not null)
    {
        await work.ReportAsync(measured, mark, cases.Count);
    }

    return (rate, await scenario.ReconcileAsync(catalog, consumed, 0, cases, CancellationToken.None));
}

async Task<(double Rate, Dictionary<string, double> Shares)> DirectAsync(int count)
{
    var catalog = await scenario.SeedAsync(spec, CancellationToken.None);
    var services = mesh.ServicesOf("workflows");
    var retry = services.GetRequiredService<IOptions<InventoryToChargeOptions>>().Value.Retry();
    var patients = services.GetRequiredService<CasePatients>();
    var consumed = InventoryToChargeScenario.Consumptions(catalog, spec).Take(count).Select(e =>
    {
        e.Context.OccurTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow);
        return e;
    }).ToList();
    var timings = new System.Collections.Concurrent.ConcurrentBag<(string Step, double Ms)>();
    async Task<T> Step<T>(string step, Func<Task<T>> run)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await run();
        timings.Add((step, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
        return result;
    }

    T Activity<T>() => ActivatorUtilities.CreateInstance<T>(services);
    // The activities read no more of their context than the instance id; the workflow runtime is what this baseline leaves out.
    WorkflowActivityContext none = new DirectActivityContext("direct");
    var mark = await work.MarkAsync();
    var watch = Stopwatch.StartNew();
    await Parallel.ForEachAsync(consumed, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (e, _) =>
    {
        // As the intake does before it starts a saga: the patient goes to the state store, the steps read it back.
        var input = ConsumptionIntake.CaseOf(e, retry);
        await Step("intake", async () =>
        {
            await patients.SaveAsync(input.PatientRef, ConsumptionIntake.PatientOf(e), CancellationToken.None);
            return true;
        });
        var check = await Step("validate", () => Activity<CheckCase>().RunAsync(none, input));
        var stock = await Step("inventory", () => Activity<TakeStock>().RunAsync(none, input));
        var charge = check.Chargeable ? await Step("charge", () => Activity<CaptureCharge>().RunAsync(none, input)) : null;
        var posting = await Step("finance", () => Activity<PostCost>().RunAsync(none, new CostToPost(input, check)));
        var outcome = new CaseOutcome(input.EventId, CaseOutcome.Completed, "", "", false, false, input.Item, input.Location, stock.Movement, charge?.Charge ?? "",
            posting.JournalEntry, posting.ErpDocument, stock.ReorderPointCrossed, input.OccurTime, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, []);
        await Step("conclude", () => Activity<ConcludeCase>().RunAsync(none, new CaseConclusion(input, outcome, stock, charge, posting)));
    });
    var rate = count / watch.Elapsed.TotalSeconds;
    await work.ReportAsync("direct", mark, count);
    var total = timings.Sum(t => t.Ms);
    return (rate, timings.GroupBy(t => t.Step).ToDictionary(g => g.Key, g => g.Sum(t => t.Ms) / total));
}

/// <summary>The direct baseline's activity context: the instance id a conclusion records as its case's run, as the saga's would be.</summary>
internal sealed class DirectActivityContext(string instanceId) : WorkflowActivityContext
{
    public override string InstanceId => instanceId;

    public override Dapr.Workflow.Abstractions.TaskIdentifier Identifier => new("direct");

    public override string TaskExecutionKey => instanceId;
}
