using System.Diagnostics;
using Grpc.Core;
using Mesh.Runtime.Hosting;
using Mesh.Runtime.Telemetry;

namespace Mesh.Demo;

/// <summary>Where a demo finds the mesh: the run file whose apps it starts, or the sidecar it runs under.</summary>
/// <param name="RunFile">The run file whose apps make up the mesh.</param>
/// <param name="Attach">Use the sidecar in DAPR_GRPC_ENDPOINT / DAPR_HTTP_ENDPOINT (under `dapr run`) instead of starting the mesh.</param>
/// <param name="Timeout">How long the scenario's work may take to settle.</param>
/// <param name="Parallelism">Calls in flight while sending.</param>
internal sealed record DemoMesh(string RunFile, bool Attach, TimeSpan Timeout, int Parallelism);

/// <summary>The sidecar a demo talks through: its endpoints and the DAPR_API_TOKEN it requires (null when it requires none).</summary>
internal sealed record DemoSidecar(string Grpc, string Http, string? ApiToken)
{
    /// <summary>Clients of the mesh through this sidecar.</summary>
    public Mesh.Scenarios.MeshClients Clients() => new(Grpc, Http, daprApiToken: ApiToken);
}

/// <summary>
/// What every <c>mesh demo</c> scenario shares: starts the mesh of the run file (its output goes to .mesh/demo.log)
/// with a sidecar of the demo's own, or attaches to the sidecar it runs under, and runs the scenario through that
/// sidecar; an operator's mistake (no sidecar, a port taken, the mesh going away) is one line on stderr.
/// </summary>
internal sealed class DemoHost(TextWriter console, TextWriter error)
{
    private const string SessionAppId = "clinic-demo";

    /// <summary>Runs <paramref name="scenario"/> (given the sidecar) through the mesh; its result is the exit code.</summary>
    public async Task<int> RunAsync(string verb, DemoMesh mesh, Func<DemoSidecar, CancellationToken, Task<int>> scenario, CancellationToken stopping)
    {
        if (mesh.Attach)
        {
            var grpc = Environment.GetEnvironmentVariable("DAPR_GRPC_ENDPOINT") ?? $"http://127.0.0.1:{Environment.GetEnvironmentVariable("DAPR_GRPC_PORT") ?? "50001"}";
            var http = Environment.GetEnvironmentVariable("DAPR_HTTP_ENDPOINT") ?? $"http://127.0.0.1:{Environment.GetEnvironmentVariable("DAPR_HTTP_PORT") ?? "3500"}";
            if (!await SidecarProbe.AnswersAsync(grpc, stopping))
            {
                await error.WriteLineAsync(
                    $"mesh demo: no Dapr sidecar answers at {grpc}; --attach runs under one: `dapr run --app-id {SessionAppId} -- mesh demo {verb} --attach`, "
                    + "or as an app (a command, no appPort) of a run file under `mesh run -f <file>`; without --attach, mesh demo starts the mesh of dapr.yaml itself");
                return 1;
            }

            await console.WriteLineAsync($"mesh demo: using the sidecar at {grpc}");
            return await GuardedAsync(new DemoSidecar(grpc, http, Environment.GetEnvironmentVariable("DAPR_API_TOKEN")), scenario, stopping);
        }

        var folder = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(mesh.RunFile))!, ".mesh");
        Directory.CreateDirectory(folder);
        var logPath = Path.Combine(folder, "demo.log");
        await using var log = TextWriter.Synchronized(new StreamWriter(logPath) { AutoFlush = true });
        await console.WriteLineAsync($"mesh demo: starting the mesh of {mesh.RunFile} (its output: {logPath}) ...");
        var watch = Stopwatch.StartNew();
        var session = new MeshSession(SessionAppId, async (sidecar, ct) =>
        {
            await console.WriteLineAsync($"mesh demo: every app answers ({watch.Elapsed.TotalSeconds:0}s)");
            return await GuardedAsync(new DemoSidecar($"http://127.0.0.1:{sidecar.GrpcPort}", $"http://127.0.0.1:{sidecar.HttpPort}", sidecar.ApiToken), scenario, ct);
        });
        var meshErrors = new FirstLineWriter(log);
        var code = await new MeshRunner(log, meshErrors).RunAsync(new RunOptions(mesh.RunFile, [], TimeSpan.FromMinutes(5), Metrics: new MetricsEndpoint()), stopping, session);
        if (code != 0)
        {
            // What made the mesh fail (an app whose port is taken, an app that exited) says more than its exit code.
            var reason = meshErrors.First is { } line ? line.StartsWith("mesh: ", StringComparison.Ordinal) ? line["mesh: ".Length..] : line : $"failed (exit code {code})";
            await error.WriteLineAsync($"mesh demo: {reason}; the mesh's output is in {logPath}");
        }

        return code;
    }

    private async Task<int> GuardedAsync(DemoSidecar sidecar, Func<DemoSidecar, CancellationToken, Task<int>> scenario, CancellationToken ct)
    {
        try
        {
            return await scenario(sidecar, ct);
        }
        catch (Exception e) when (e is RpcException { StatusCode: StatusCode.Unavailable } or HttpRequestException)
        {
            // The sidecar (or the mesh behind it) went away mid-run: an operator's matter, not a stack trace.
            await error.WriteLineAsync($"mesh demo: the sidecar at {sidecar.Grpc} stopped answering ({(e as RpcException)?.Status.Detail ?? e.Message})");
            return 1;
        }
    }
}
