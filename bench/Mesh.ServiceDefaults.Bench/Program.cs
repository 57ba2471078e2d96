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
    var rounds = new List<(double Bare, double Mesh)>();
    for (var round = 0; round < roundCount; round++)
    {
        rounds.Add((H2load(barePort, requests), H2load(service.Port, requests)));
    }

    File.Delete(body);
    var ratios = rounds.Select(r => r.Mesh / r.Bare).Order().ToList();
    Console.WriteLine($"grpc.health.v1.Health/Check, h2load -n {requests} -c {connections} -m {streams} on core 0, each server on core 1, {roundCount} interleaved rounds:");
    Console.WriteLine($"  bare Grpc.AspNetCore   req/s per round: {string.Join(", ", rounds.Select(r => r.Bare.ToString("F0", CultureInfo.InvariantCulture)))}");
    Console.WriteLine($"  Mesh service (charges) req/s per round: {string.Join(", ", rounds.Select(r => r.Mesh.ToString("F0", CultureInfo.InvariantCulture)))}");
    Console.WriteLine($"  ratio per round: {string.Join(", ", rounds.Select(r => (r.Mesh / r.Bare).ToString("F2", CultureInfo.InvariantCulture)))}; median {ratios[ratios.Count / 2]:F2} (min {ratios[0]:F2}, max {ratios[^1]:F2})");
    return 0;

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

static string Run(string file, params string[] arguments)
{
    using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
    var output = process.StandardOutput.ReadToEndAsync();
    var error = process.StandardError.ReadToEndAsync();
    process.WaitForExit();
    return process.ExitCode == 0 ? output.Result : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)}: exit {process.ExitCode}\n{output.Result}{error.Result}");
}
