// Service-defaults overhead, against a baseline measured in the same run: grpc.health.v1.Health/Check on a real Mesh
// service (charges, its own process from its Release build, with its service defaults: OpenTelemetry, PHI-safe
// logging, APP_API_TOKEN authentication, contract validation, health checks, reflection, behind its sidecar) and on a
// bare Grpc.AspNetCore server with only the health service. Each server is pinned to core 1, h2load (nghttp2-client)
// to core 0, the same request and headers to both; interleaved rounds, the spread printed.
// Run: apt-get install nghttp2-client && dotnet build Mesh.sln -c Release &&
//      dotnet run -c Release --project bench/Mesh.ServiceDefaults.Bench [-- requests connections streams rounds]
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Mesh.Runtime;
using Mesh.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

if (args is ["serve-bare", var listen])
{
    // The baseline: Grpc.AspNetCore and its health service, no logging, nothing else.
    var bare = WebApplication.CreateSlimBuilder();
    bare.Logging.ClearProviders();
    bare.WebHost.ConfigureKestrel(kestrel => kestrel.ListenLocalhost(int.Parse(listen, CultureInfo.InvariantCulture), o => o.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2));
    bare.Services.AddGrpc();
    // One check that is always healthy (as the service's liveness check is): with none, the health service answers UNKNOWN.
    bare.Services.AddGrpcHealthChecks().AddCheck("self", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy());
    var app = bare.Build();
    app.MapGrpcHealthChecksService();
    await app.RunAsync();
    return 0;
}

var requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
var connections = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 50;
var streams = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
var roundCount = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 3;
if (!File.Exists("/usr/bin/h2load") || !File.Exists("/usr/bin/taskset"))
{
    Console.Error.WriteLine("service-defaults bench: needs h2load and taskset (apt-get install nghttp2-client util-linux)");
    return 2;
}

// The Mesh service behind its sidecar (so its readiness check, the sidecar's health, is what production sees), with
// the APP_API_TOKEN its sidecar sends; logging as shipped in its appsettings.json.
await using var mesh = await TestMesh.StartAsync(
    TestApp.Process("charges", "grpc", Repository.BuiltAssembly("services/charges/Mesh.Charges", "Mesh.Charges")));
var service = mesh.AppOf<ChildApp>("charges");
var token = mesh.AppTokenOf("charges") ?? "";

var barePort = LoopbackPorts.Free();
using var baseline = Process.Start(new ProcessStartInfo("dotnet", [typeof(Program).Assembly.Location, "serve-bare", barePort.ToString(CultureInfo.InvariantCulture)]))!;
try
{
    foreach (var pid in new[] { service.ProcessId, baseline.Id })
    {
        Run("taskset", "-a", "-cp", "1", pid.ToString(CultureInfo.InvariantCulture));
    }

    Run("taskset", "-cp", "0", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
    await ServingAsync(barePort, token);
    await ServingAsync(service.Port, token);

    // A gRPC request frame: no compression, length 0 (an empty HealthCheckRequest).
    var body = Path.GetTempFileName();
    await File.WriteAllBytesAsync(body, new byte[5]);
    var warmUp = Math.Min(requests, 20_000);
    H2load(barePort, warmUp);
    H2load(service.Port, warmUp);
    var rounds = new List<(Round Bare, Round Mesh)>();
    for (var round = 0; round < roundCount; round++)
    {
        rounds.Add((Measure(baseline.Id, barePort), Measure(service.ProcessId, service.Port)));
    }

    File.Delete(body);
    Console.WriteLine($"grpc.health.v1.Health/Check, h2load -n {requests} -c {connections} -m {streams} on core 0, each server on core 1, {roundCount} interleaved rounds:");
    Console.WriteLine($"  bare Grpc.AspNetCore   req/s per round: {Each(r => r.Bare.PerSecond, "F0")}; server CPU µs per request: {Each(r => r.Bare.CpuMicros, "F1")}");
    Console.WriteLine($"  Mesh service (charges) req/s per round: {Each(r => r.Mesh.PerSecond, "F0")}; server CPU µs per request: {Each(r => r.Mesh.CpuMicros, "F1")}");
    Console.WriteLine($"  throughput ratio per round: {Each(r => r.Mesh.PerSecond / r.Bare.PerSecond, "F2")}; {Spread(r => r.Mesh.PerSecond / r.Bare.PerSecond)}");
    // CPU per request is the figure that holds on a shared machine: other processes on core 1 slow both servers'
    // throughput, not the CPU each request costs.
    Console.WriteLine($"  CPU ratio (bare/mesh) per round: {Each(r => r.Bare.CpuMicros / r.Mesh.CpuMicros, "F2")}; {Spread(r => r.Bare.CpuMicros / r.Mesh.CpuMicros)}");
    return 0;

    string Each(Func<(Round Bare, Round Mesh), double> pick, string format) => string.Join(", ", rounds.Select(r => pick(r).ToString(format, CultureInfo.InvariantCulture)));

    string Spread(Func<(Round Bare, Round Mesh), double> pick)
    {
        var sorted = rounds.Select(pick).Order().ToList();
        return $"median {sorted[sorted.Count / 2]:F2} (min {sorted[0]:F2}, max {sorted[^1]:F2})";
    }

    // One h2load run against a server: its requests per second, and the CPU the server's process used per request.
    Round Measure(int pid, int port)
    {
        var before = CpuTicks(pid);
        var perSecond = H2load(port, requests);
        return new Round(perSecond, (CpuTicks(pid) - before) * 1e6 / Round.TicksPerSecond / requests);
    }

    // One h2load run against a port: its requests per second; fails when any request did not succeed.
    double H2load(int port, int count)
    {
        var output = Run("taskset", "-c", "0", "h2load", "-n", count.ToString(CultureInfo.InvariantCulture), "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-m", streams.ToString(CultureInfo.InvariantCulture), "-d", body, "-H", "content-type: application/grpc", "-H", "te: trailers",
            "-H", $"dapr-api-token: {token}", $"http://127.0.0.1:{port}/grpc.health.v1.Health/Check");
        var done = Regex.Match(output, @"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded");
        if (!done.Success || int.Parse(done.Groups[1].Value, CultureInfo.InvariantCulture) != count)
        {
            throw new InvalidOperationException($"h2load against 127.0.0.1:{port} did not succeed every request:\n{output}");
        }

        return double.Parse(Regex.Match(output, @"finished in [\d.]+m?s, ([\d.]+) req/s").Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
finally
{
    baseline.Kill();
    await baseline.WaitForExitAsync();
}

// Both servers answer SERVING to the same call before anything is measured (h2load sees only HTTP status 200).
static async Task ServingAsync(int port, string token)
{
    using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
    var client = new Health.HealthClient(channel);
    var patience = Stopwatch.StartNew();
    string last;
    do
    {
        try
        {
            var answer = await client.CheckAsync(new HealthCheckRequest(), new Grpc.Core.Metadata { { "dapr-api-token", token } });
            if (answer.Status == HealthCheckResponse.Types.ServingStatus.Serving)
            {
                return;
            }

            last = answer.Status.ToString();
        }
        catch (Grpc.Core.RpcException e)
        {
            // Not listening yet.
            last = e.Status.ToString();
        }

        await Task.Delay(100);
    }
    while (patience.Elapsed < TimeSpan.FromMinutes(1));

    throw new InvalidOperationException($"127.0.0.1:{port} does not answer SERVING ({last})");
}

// utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15, after the parenthesised name).
static long CpuTicks(int pid)
{
    var fields = File.ReadAllText($"/proc/{pid}/stat").Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
}

static string Run(string file, params string[] arguments)
{
    using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
    var output = process.StandardOutput.ReadToEndAsync();
    var error = process.StandardError.ReadToEndAsync();
    process.WaitForExit();
    return process.ExitCode == 0 ? output.Result : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)}: exit {process.ExitCode}\n{output.Result}{error.Result}");
}

/// <summary>One h2load run: requests per second, and the server's CPU microseconds per request.</summary>
internal sealed record Round(double PerSecond, double CpuMicros)
{
    /// <summary>Clock ticks per second of /proc/PID/stat (USER_HZ, 100 on Linux).</summary>
    public const double TicksPerSecond = 100;
}
