using System.Diagnostics;
using Grpc.Core;
using Mesh.Runtime.Hosting;
using Mesh.Scenarios;

namespace Mesh.Demo.InventoryToCharge;

/// <summary>What <c>mesh demo inventory-to-charge</c> was asked to do.</summary>
/// <param name="Spec">The size and mix of the run.</param>
/// <param name="RunFile">The run file whose apps make up the mesh.</param>
/// <param name="Attach">Use the sidecar in DAPR_GRPC_ENDPOINT / DAPR_HTTP_ENDPOINT (under `dapr run`) instead of starting the mesh.</param>
/// <param name="Timeout">How long the events may take to settle.</param>
/// <param name="Parallelism">Events in flight while sending.</param>
internal sealed record DemoOptions(ScenarioSpec Spec, string RunFile, bool Attach, TimeSpan Timeout, int Parallelism);

/// <summary>
/// <c>mesh demo inventory-to-charge</c>: starts the mesh of the run file (its output goes to .mesh/demo.log), acts
/// as a clinical system through a sidecar of its own — seeds master data and stock, sends consumption events,
/// some twice — waits until every case settled and prints the reconciliation report. Exit code 0 when it reconciles.
/// </summary>
internal sealed class InventoryToChargeDemo(TextWriter console, TextWriter error)
{
    private const string SessionAppId = "clinic-demo";

    /// <summary>Runs the demo.</summary>
    public async Task<int> RunAsync(DemoOptions options, CancellationToken stopping)
    {
        if (options.Attach)
        {
            var grpc = Environment.GetEnvironmentVariable("DAPR_GRPC_ENDPOINT") ?? $"http://127.0.0.1:{Environment.GetEnvironmentVariable("DAPR_GRPC_PORT") ?? "50001"}";
            var http = Environment.GetEnvironmentVariable("DAPR_HTTP_ENDPOINT") ?? $"http://127.0.0.1:{Environment.GetEnvironmentVariable("DAPR_HTTP_PORT") ?? "3500"}";
            if (!await SidecarProbe.AnswersAsync(grpc, stopping))
            {
                await error.WriteLineAsync(
                    $"mesh demo: no Dapr sidecar answers at {grpc}; --attach runs under one: `dapr run --app-id {SessionAppId} -- mesh demo inventory-to-charge --attach`, "
                    + "or as an app (a command, no appPort) of a run file under `mesh run -f <file>`; without --attach, mesh demo starts the mesh of dapr.yaml itself");
                return 1;
            }

            await console.WriteLineAsync($"mesh demo: using the sidecar at {grpc}");
            return await ScenarioAsync(grpc, http, Environment.GetEnvironmentVariable("DAPR_API_TOKEN"), options, stopping);
        }

        var folder = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.RunFile))!, ".mesh");
        Directory.CreateDirectory(folder);
        var logPath = Path.Combine(folder, "demo.log");
        await using var log = TextWriter.Synchronized(new StreamWriter(logPath) { AutoFlush = true });
        await console.WriteLineAsync($"mesh demo: starting the mesh of {options.RunFile} (its output: {logPath}) ...");
        var watch = Stopwatch.StartNew();
        var session = new MeshSession(SessionAppId, async (sidecar, ct) =>
        {
            await console.WriteLineAsync($"mesh demo: every app answers ({watch.Elapsed.TotalSeconds:0}s)");
            return await ScenarioAsync($"http://127.0.0.1:{sidecar.GrpcPort}", $"http://127.0.0.1:{sidecar.HttpPort}", sidecar.ApiToken, options, ct);
        });
        var meshErrors = new FirstLineWriter(log);
        var code = await new MeshRunner(log, meshErrors).RunAsync(new RunOptions(options.RunFile, [], TimeSpan.FromMinutes(5)), stopping, session);
        if (code != 0)
        {
            // What made the mesh fail (an app whose port is taken, an app that exited) says more than its exit code.
            var reason = meshErrors.First is { } line ? line.StartsWith("mesh: ", StringComparison.Ordinal) ? line["mesh: ".Length..] : line : $"failed (exit code {code})";
            await error.WriteLineAsync($"mesh demo: {reason}; the mesh's output is in {logPath}");
        }

        return code;
    }

    private async Task<int> ScenarioAsync(string grpc, string http, string? daprApiToken, DemoOptions options, CancellationToken ct)
    {
        try
        {
            return await ReconcileAsync(grpc, http, daprApiToken, options, ct);
        }
        catch (Exception e) when (e is RpcException { StatusCode: StatusCode.Unavailable } or HttpRequestException)
        {
            // The sidecar (or the mesh behind it) went away mid-run: an operator's matter, not a stack trace.
            await error.WriteLineAsync($"mesh demo: the sidecar at {grpc} stopped answering ({(e as RpcException)?.Status.Detail ?? e.Message})");
            return 1;
        }
    }

    private async Task<int> ReconcileAsync(string grpc, string http, string? daprApiToken, DemoOptions options, CancellationToken ct)
    {
        using var clients = new MeshClients(grpc, http, daprApiToken: daprApiToken);
        var scenario = new InventoryToChargeScenario(clients);
        var spec = options.Spec;

        var watch = Stopwatch.StartNew();
        var catalog = await scenario.SeedAsync(spec, ct);
        await console.WriteLineAsync($"mesh demo: run {catalog.RunId}: seeded {catalog.Items.Count} items, {catalog.Locations.Count} locations with cost centers, {catalog.StartingStock.Count} stocked balances ({watch.Elapsed.TotalSeconds:0.0}s)");

        var events = InventoryToChargeScenario.Consumptions(catalog, spec);
        watch.Restart();
        var duplicates = await scenario.SendAsync(events, spec, options.Parallelism, ct);
        await console.WriteLineAsync($"mesh demo: sent {events.Count} ItemConsumed events and {duplicates} duplicates in {watch.Elapsed.TotalSeconds:0.0}s");

        var lastShown = -1;
        var cases = await scenario.AwaitSettledAsync([.. events.Select(e => e.Context.EventId)], options.Timeout, (settled, total) =>
        {
            // One line per tenth, so the progress reads well in a terminal and in a CI log alike.
            var tenth = settled * 10 / Math.Max(1, total);
            if (tenth != lastShown)
            {
                lastShown = tenth;
                console.WriteLine($"mesh demo: {settled}/{total} cases settled ({watch.Elapsed.TotalSeconds:0.0}s)");
            }
        }, ct);
        var seconds = watch.Elapsed.TotalSeconds;

        var report = await scenario.ReconcileAsync(catalog, events, duplicates, cases, ct);
        await console.WriteLineAsync();
        await console.WriteAsync(report.Format());
        await console.WriteLineAsync($"  throughput: {cases.Count / Math.Max(seconds, 0.001):0.0} events/s from first send to last settled");
        return report.Balances ? 0 : 1;
    }
}
