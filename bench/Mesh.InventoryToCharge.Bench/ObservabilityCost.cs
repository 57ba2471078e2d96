using System.Diagnostics;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Telemetry;
using Mesh.Scenarios;
using Mesh.Testing;
using Mesh.Testing.Apps;
using Mesh.Testing.Otlp;

/// <summary>
/// The cost of observability: inventory-to-charge throughput with tracing and metrics on, as shipped (every app's
/// OpenTelemetry with parent-based always-on sampling, spans exported by OTLP/HTTP to a collector in this process,
/// /metrics served, the runtime's metrics and spans), against the same mesh with them off (OTEL_SDK_DISABLED=true for
/// the apps, no runtime telemetry), in the same run: off and on alternate, each on a fresh mesh, best of each kept.
/// The apps run as real processes, as under <c>mesh run</c>: hosted in one process, every app's tracer would also
/// record every other app's spans.
/// </summary>
internal static class ObservabilityCost
{
    public static async Task RunAsync(int events, int concurrency, int rounds)
    {
        var off = new List<double>();
        var on = new List<double>();
        long spans = 0;
        for (var round = 0; round < rounds; round++)
        {
            off.Add((await MeasureAsync(observed: false, events, concurrency)).Rate);
            var measured = await MeasureAsync(observed: true, events, concurrency);
            on.Add(measured.Rate);
            spans += measured.Spans;
        }

        Console.WriteLine($"Observability cost, inventory-to-charge, {events} events per round, {concurrency} in flight, {rounds} rounds ({Environment.ProcessorCount} cores):");
        Console.WriteLine($"  off (OTEL_SDK_DISABLED, no runtime telemetry)   best {off.Max(),7:F1} events/s   rounds {string.Join(", ", off.Select(r => r.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))}");
        Console.WriteLine($"  on (traces by OTLP, /metrics, runtime too)       best {on.Max(),7:F1} events/s   rounds {string.Join(", ", on.Select(r => r.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))}");
        Console.WriteLine($"  ratio on/off {on.Max() / off.Max():F2}; {spans / rounds} spans exported per round");
    }

    private static async Task<(double Rate, long Spans)> MeasureAsync(bool observed, int events, int concurrency)
    {
        await using var collector = OtlpReceiver.Start();
        await using var mesh = await TestMesh.StartAsync(
            [.. InventoryToChargeApps.Processes(observed ? collector.ExporterEnvironment() : new() { ["OTEL_SDK_DISABLED"] = "true" }), TestApp.Client("clinic")],
            ResiliencySpec.None,
            observed ? new MetricsEndpoint(0) { Exporter = collector.ExporterEnvironment() } : null);
        using var clients = new MeshClients(mesh.GrpcEndpointOf("clinic"), mesh.HttpEndpointOf("clinic"));
        var scenario = new InventoryToChargeScenario(clients);
        var spec = new ScenarioSpec(events, Locations: 4, DuplicateShare: 0);

        // Warm-up on a run of its own: JIT, connections, the workflow worker's stream.
        await RunAsync(scenario, spec with { Events = 20 }, concurrency);
        var before = collector.Spans.Count;
        var rate = await RunAsync(scenario, spec, concurrency);
        return (rate, collector.Spans.Count - before);
    }

    private static async Task<double> RunAsync(InventoryToChargeScenario scenario, ScenarioSpec spec, int concurrency)
    {
        var catalog = await scenario.SeedAsync(spec, CancellationToken.None);
        var consumed = InventoryToChargeScenario.Consumptions(catalog, spec);
        var watch = Stopwatch.StartNew();
        await scenario.SendAsync(consumed, spec, concurrency, CancellationToken.None);
        var cases = await scenario.AwaitSettledAsync([.. consumed.Select(e => e.Context.EventId)], TimeSpan.FromMinutes(10), null, CancellationToken.None);
        var rate = cases.Count / watch.Elapsed.TotalSeconds;
        var report = await scenario.ReconcileAsync(catalog, consumed, 0, cases, CancellationToken.None);
        return report.Balances ? rate : throw new InvalidOperationException("the run did not reconcile:\n" + report.Format());
    }
}
