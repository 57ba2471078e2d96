using System.Collections.Concurrent;
using System.Diagnostics;
using Mesh.Scenarios;

namespace Mesh.Demo.ProcureToPay;

/// <summary>
/// <c>mesh demo procure-to-pay</c>: plays the ward, the approver, the receiving dock and the suppliers through the
/// demo's sidecar — requisitions, some rejected; deliveries, some in two parts; invoices, some above the agreed price
/// beyond tolerance; receipt events, some delivered twice — while procurement and the ProcureToPay saga do the rest,
/// then prints the controller's reconciliation report. Exit code 0 when it reconciles.
/// </summary>
internal sealed class ProcureToPayDemo(TextWriter console)
{
    /// <summary>Runs the scenario of <paramref name="spec"/> through the sidecar at <paramref name="grpc"/> / <paramref name="http"/>.</summary>
    public async Task<int> RunAsync(string grpc, string http, ProcureToPaySpec spec, DemoMesh options, CancellationToken ct)
    {
        using var clients = new MeshClients(grpc, http);
        var scenario = new ProcureToPayScenario(clients);
        var runId = Guid.NewGuid().ToString("N")[..8];

        var watch = Stopwatch.StartNew();
        await scenario.SeedAsync(ct);
        await console.WriteLineAsync($"mesh demo: run {runId}: seeded the suppliers, items and cost center ({watch.Elapsed.TotalSeconds:0.0}s)");

        watch.Restart();
        var records = new ConcurrentDictionary<int, RunRecord>();
        var progress = new Progress(console, "requisitions received and invoiced", watch);
        await Parallel.ForEachAsync(Enumerable.Range(0, spec.Requisitions), new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = ct }, async (index, token) =>
        {
            records[index] = await scenario.RunAsync(index, runId, spec, options.Timeout, token);
            progress.Report(records.Count, spec.Requisitions);
        });
        var ordered = records.OrderBy(r => r.Key).Select(r => r.Value).ToList();

        var cases = await scenario.AwaitSettledAsync(ordered, options.Timeout, ct);
        var seconds = watch.Elapsed.TotalSeconds;
        // Each run delivers to locations of its own, so no stock was on hand before it.
        var report = await scenario.ReconcileAsync(ordered, cases, new Dictionary<string, decimal>(), ct);
        await console.WriteLineAsync();
        await console.WriteAsync(report.Format());
        await console.WriteLineAsync($"  throughput: {cases.Count / Math.Max(seconds, 0.001):0.0} requisitions/s from first submission to last settled case");
        return report.Balances ? 0 : 1;
    }
}
