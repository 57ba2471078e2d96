using System.Diagnostics;
using Mesh.Scenarios;

namespace Mesh.Demo.InventoryToCharge;

/// <summary>
/// <c>mesh demo inventory-to-charge</c>: acts as a clinical system through the demo's sidecar — seeds master data and
/// stock, sends consumption events, some twice — waits until every case settled and prints the reconciliation report.
/// Exit code 0 when it reconciles.
/// </summary>
internal sealed class InventoryToChargeDemo(TextWriter console)
{
    /// <summary>Runs the scenario of <paramref name="spec"/> through <paramref name="sidecar"/>.</summary>
    public async Task<int> RunAsync(DemoSidecar sidecar, ScenarioSpec spec, DemoMesh options, CancellationToken ct)
    {
        using var clients = sidecar.Clients();
        var scenario = new InventoryToChargeScenario(clients);

        var watch = Stopwatch.StartNew();
        var catalog = await scenario.SeedAsync(spec, ct);
        await console.WriteLineAsync($"mesh demo: run {catalog.RunId}: seeded {catalog.Items.Count} items, {catalog.Locations.Count} locations with cost centers, {catalog.StartingStock.Count} stocked balances ({watch.Elapsed.TotalSeconds:0.0}s)");

        var events = InventoryToChargeScenario.Consumptions(catalog, spec);
        watch.Restart();
        var duplicates = await scenario.SendAsync(events, spec, options.Parallelism, ct);
        await console.WriteLineAsync($"mesh demo: sent {events.Count} ItemConsumed events and {duplicates} duplicates{(spec.OutOfOrder ? ", each location's latest first" : "")} in {watch.Elapsed.TotalSeconds:0.0}s");

        var progress = new Progress(console, "cases settled", watch);
        var cases = await scenario.AwaitSettledAsync([.. events.Select(e => e.Context.EventId)], options.Timeout, progress.Report, ct);
        var seconds = watch.Elapsed.TotalSeconds;

        var report = await scenario.ReconcileAsync(catalog, events, duplicates, cases, ct);
        await console.WriteLineAsync();
        await console.WriteAsync(report.Format());
        await console.WriteLineAsync($"  throughput: {cases.Count / Math.Max(seconds, 0.001):0.0} events/s from first send to last settled");
        return report.Balances ? 0 : 1;
    }
}
