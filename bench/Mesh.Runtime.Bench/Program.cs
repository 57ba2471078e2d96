// Embedded runtime benchmarks, each against a baseline measured in the same run:
//  1. gRPC service invocation through the sidecar (dapr-app-id proxy) vs a direct call: added p50/p99 at a fixed rate.
//  2. publish -> deliver -> ack events/s through the sidecar and pubsub.redis vs `redis-benchmark` XADD on the same Redis,
//     one event per call (to an app whose protocol is http, HTTP/1.1, and to one whose protocol is h2c, HTTP/2 without
//     TLS) and with Dapr's bulk publish / bulkSubscribe.
// Run: dotnet run -c Release --project bench/Mesh.Runtime.Bench [-- rate seconds events]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dapr;
using Dapr.AspNetCore;
using Dapr.Client;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Mesh.Runtime.Components;
using Mesh.Runtime.Hosting;
using Mesh.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

var rate = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
var events = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20_000;
const int BulkSize = 100;
const int BulkPublishers = 4;

await using var redis = await RedisServer.StartAsync();
var grpcPort = Mesh.Runtime.LoopbackPorts.Free();
var httpPort = Mesh.Runtime.LoopbackPorts.Free();
var bulkPort = Mesh.Runtime.LoopbackPorts.Free();
var h2cPort = Mesh.Runtime.LoopbackPorts.Free();
var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["redisHost"] = redis.ConnectionString };
ComponentDefinition[] components = [new ComponentDefinition("pubsub", "pubsub.redis", "v1", metadata, [], "pubsub.yaml")];
await using var mesh = await MeshHost.StartAsync(
[
    MeshApp.Create("target", grpcPort, "grpc", components),
    MeshApp.Create("subscriber", httpPort, "http", components),
    MeshApp.Create("bulk-subscriber", bulkPort, "http", components),
    MeshApp.Create("h2c-subscriber", h2cPort, "h2c", components),
    MeshApp.Create("caller", 0, "http", components),
]);

// 1. Invocation: a gRPC health server as the target app.
await using var target = await StartAppAsync(grpcPort, HttpProtocols.Http2, app => app.MapGrpcService<ServingHealth>(), s => s.AddGrpc());
// Calls reach an app through its own sidecar, as in daprd (the callee's sidecar checks them and carries the app's token).
var callerSidecar = mesh.SidecarOf("caller");
using var direct = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
var directClient = new Health.HealthClient(direct);
var viaSidecar = new Health.HealthClient(DaprClient.CreateInvocationInvoker("target", $"http://127.0.0.1:{callerSidecar.GrpcPort}"));
await MeasureAsync(directClient, 1, 200);          // warm-up both paths
await MeasureAsync(viaSidecar, 1, 200);
// Interleaved rounds; each path's median p50 and p99 over the rounds is reported, so neither pays for the
// other's warm-up and one GC pause does not decide the tail.
var rounds = new List<(double DirectP50, double DirectP99, double SidecarP50, double SidecarP99)>();
for (var round = 0; round < 3; round++)
{
    var d = await MeasureAsync(directClient, seconds, rate);
    var v = await MeasureAsync(viaSidecar, seconds, rate);
    rounds.Add((P(d, 50), P(d, 99), P(v, 50), P(v, 99)));
}

double Median(Func<(double, double, double, double), double> pick) => rounds.Select(r => pick(r)).Order().ElementAt(rounds.Count / 2);
var (dp50, dp99, sp50, sp99) = (Median(r => r.Item1), Median(r => r.Item2), Median(r => r.Item3), Median(r => r.Item4));
Console.WriteLine($"gRPC invocation at {rate} req/s, 3 interleaved rounds of {seconds}s (unary grpc.health.v1.Health/Check), medians:");
Console.WriteLine($"  direct        p50 {dp50:F3} ms  p99 {dp99:F3} ms");
Console.WriteLine($"  via sidecar   p50 {sp50:F3} ms  p99 {sp99:F3} ms");
Console.WriteLine($"  added         p50 {sp50 - dp50:F3} ms  p99 {sp99 - dp99:F3} ms");
Console.WriteLine($"  per round (direct p50/p99 | sidecar p50/p99): {string.Join("; ", rounds.Select(r => $"{r.DirectP50:F2}/{r.DirectP99:F2} | {r.SidecarP50:F2}/{r.SidecarP99:F2}"))}");

// 2. Pub/sub: raw XADD rates from redis-benchmark, then publish -> deliver -> ack through the runtime, one event per
// call (PublishEventAsync, one POST per event) and in bulk (BulkPublishEventAsync, bulkSubscribe batches).
var redisCpuBefore = redis.CpuTime;
var raw = RawXaddRate(redis.Port, events, pipeline: 1);
var rawRedisCpuUs = (redis.CpuTime - redisCpuBefore).TotalMicroseconds / events;
var rawPipelined = RawXaddRate(redis.Port, events, pipeline: BulkSize);
var single = await MeasurePubSubAsync("subscriber", httpPort, HttpProtocols.Http1, bulk: false);
var h2c = await MeasurePubSubAsync("h2c-subscriber", h2cPort, HttpProtocols.Http2, bulk: false);
var bulk = await MeasurePubSubAsync("bulk-subscriber", bulkPort, HttpProtocols.Http1, bulk: true);

Console.WriteLine($"Pub/sub, {events} events per phase (pubsub.redis defaults, one subscriber app per mode):");
Console.WriteLine($"  redis-benchmark XADD (-c 32)             {raw,8:F0} ops/s  (redis-server CPU {rawRedisCpuUs:F1} µs per op)");
Console.WriteLine($"  redis-benchmark XADD (-c 32 -P {BulkSize})      {rawPipelined,8:F0} ops/s");
foreach (var (name, result) in new[] { ($"per event (32 publishers, one POST per event, app protocol http: HTTP/1.1)", single), ("per event, app protocol h2c (HTTP/2)", h2c), ($"bulk ({BulkPublishers} publishers x {BulkSize} per call, bulkSubscribe {BulkSize})", bulk) })
{
    Console.WriteLine($"  {name}:");
    Console.WriteLine($"    publish only                           {result.Publish,8:F0} events/s  ({result.Publish / raw:P1} of raw XADD)");
    Console.WriteLine($"    deliver only (drain of a backlog)      {result.Drain,8:F0} events/s  ({result.Drain / raw:P1})");
    Console.WriteLine($"    publish -> deliver -> ack, together    {result.EndToEnd,8:F0} events/s  ({result.EndToEnd / raw:P1} of raw XADD, {result.EndToEnd / rawPipelined:P1} of pipelined)");
    // Counted, not timed: what one event costs the two cores, so what bounds the rate shows on a busy machine too.
    var perEvent = result.ProcessCpuUs + result.RedisCpuUs;
    Console.WriteLine($"      CPU per event {perEvent:F0} µs (publisher, sidecars and subscriber {result.ProcessCpuUs:F0}, redis-server {result.RedisCpuUs:F1}); {Environment.ProcessorCount} cores at that cost: at most {Environment.ProcessorCount * 1e6 / perEvent:F0} events/s");
}

// Publishes with no delivery running, then drains the backlog (each side's rate on its own); then publishes and
// delivers at the same time, as a running mesh does.
async Task<(double Publish, double Drain, double EndToEnd, double ProcessCpuUs, double RedisCpuUs)> MeasurePubSubAsync(string appId, int port, HttpProtocols protocols, bool bulk)
{
    var topic = bulk ? "bench-bulk" : appId;
    var delivered = 0;
    var expected = events;
    var done = new TaskCompletionSource();
    void Count(int n)
    {
        if (Interlocked.Add(ref delivered, n) >= Volatile.Read(ref expected))
        {
            done.TrySetResult();
        }
    }

    await using var subscriber = await StartAppAsync(port, protocols, app =>
    {
        app.UseCloudEvents();
        app.MapSubscribeHandler();
        if (bulk)
        {
            app.MapPost("/bench", (BulkSubscribeMessage<BulkMessageModel<JsonElement>> batch) =>
            {
                Count(batch.Entries.Count);
                return Results.Ok(new BulkSubscribeAppResponse([.. batch.Entries.Select(e => new BulkSubscribeAppResponseEntry(e.EntryId, BulkSubscribeAppResponseStatus.SUCCESS))]));
            }).WithTopic("pubsub", topic).WithBulkSubscribe(new BulkSubscribeTopicOptions { TopicName = topic, MaxMessagesCount = BulkSize, MaxAwaitDurationMs = 50 });
        }
        else
        {
            app.MapPost("/bench", () =>
            {
                Count(1);
                return Results.Ok();
            }).WithTopic("pubsub", topic);
        }
    }, s => s.AddDaprClient());
    using var publisher = new DaprClientBuilder().UseGrpcEndpoint($"http://127.0.0.1:{callerSidecar.GrpcPort}").Build();

    var watch = Stopwatch.StartNew();
    await PublishAsync(publisher, topic, bulk);
    var publishRate = events / watch.Elapsed.TotalSeconds;
    watch.Restart();
    await mesh.StartDeliveriesWhenReadyAsync(appId, TimeSpan.FromSeconds(30));
    await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
    var drainRate = events / watch.Elapsed.TotalSeconds;

    done = new TaskCompletionSource();
    Volatile.Write(ref expected, 2 * events);
    var (processCpu, redisCpu) = (Process.GetCurrentProcess().TotalProcessorTime, redis.CpuTime);
    watch.Restart();
    await PublishAsync(publisher, topic, bulk);
    await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
    var endToEnd = events / watch.Elapsed.TotalSeconds;
    return (publishRate, drainRate, endToEnd,
        (Process.GetCurrentProcess().TotalProcessorTime - processCpu).TotalMicroseconds / events, (redis.CpuTime - redisCpu).TotalMicroseconds / events);
}

async Task PublishAsync(DaprClient publisher, string topic, bool bulk)
{
    if (!bulk)
    {
        await Parallel.ForAsync(0, events, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
            await publisher.PublishEventAsync("pubsub", topic, new { order = i }, ct));
        return;
    }

    await Parallel.ForAsync(0, (events + BulkSize - 1) / BulkSize, new ParallelOptions { MaxDegreeOfParallelism = BulkPublishers }, async (call, ct) =>
    {
        var batch = Enumerable.Range(call * BulkSize, Math.Min(BulkSize, events - (call * BulkSize))).Select(i => new { order = i }).ToList();
        var result = await publisher.BulkPublishEventAsync("pubsub", topic, batch, cancellationToken: ct);
        if (result.FailedEntries.Count > 0)
        {
            throw new InvalidOperationException($"bulk publish failed for {result.FailedEntries.Count} entries: {result.FailedEntries[0].ErrorMessage}");
        }
    });
}

static double P(List<double> values, int percentile)
{
    var ordered = values.Order().ToList();
    return ordered[Math.Min(ordered.Count - 1, ordered.Count * percentile / 100)];
}

// Open-loop at a fixed rate: calls start on their schedule whether or not earlier ones finished. The pacer
// sleeps between ticks (no busy wait: on two cores a spinning pacer would steal a core from the servers).
static async Task<List<double>> MeasureAsync(Health.HealthClient client, int seconds, int rate)
{
    var total = seconds * rate;
    var latencies = new double[total];
    var calls = new List<Task>(total);
    var start = Stopwatch.GetTimestamp();
    var launched = 0;
    while (launched < total)
    {
        var due = Math.Min(total, (int)(Stopwatch.GetElapsedTime(start).TotalSeconds * rate) + 1);
        for (; launched < due; launched++)
        {
            calls.Add(TimedCallAsync(client, latencies, launched));
        }

        await Task.Delay(1);
    }

    await Task.WhenAll(calls);
    return [.. latencies];
}

static async Task TimedCallAsync(Health.HealthClient client, double[] latencies, int index)
{
    var begun = Stopwatch.GetTimestamp();
    await client.CheckAsync(new HealthCheckRequest());
    latencies[index] = Stopwatch.GetElapsedTime(begun).TotalMilliseconds;
}

static double RawXaddRate(int port, int count, int pipeline)
{
    var start = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true };
    foreach (var a in new[] { "-p", port.ToString(CultureInfo.InvariantCulture), "-n", count.ToString(CultureInfo.InvariantCulture), "-c", "32", "-P", pipeline.ToString(CultureInfo.InvariantCulture), "-q", "XADD", "rawbench", "*", "data", "{\"order\":1}" })
    {
        start.ArgumentList.Add(a);
    }

    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    // "XADD rawbench * data ...: 71428.57 requests per second, p50=..."; the rate is the number before "requests".
    var text = output.Split('\r', '\n').Last(l => l.Contains("requests per second", StringComparison.Ordinal));
    var words = text[(text.LastIndexOf(':', text.IndexOf("requests", StringComparison.Ordinal)) + 1)..].Trim().Split(' ');
    return double.Parse(words[0], CultureInfo.InvariantCulture);
}

static async Task<WebApplication> StartAppAsync(int port, HttpProtocols protocols, Action<WebApplication> map, Action<IServiceCollection> services)
{
    var builder = LoopbackApp.CreateBuilder(protocols, port);
    services(builder.Services);
    var app = builder.Build();
    map(app);
    await app.StartAsync();
    return app;
}

/// <summary>The invocation target: answers SERVING at once, so the measurement is the path, not the work.</summary>
internal sealed class ServingHealth : Health.HealthBase
{
    public override Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context) =>
        Task.FromResult(new HealthCheckResponse { Status = HealthCheckResponse.Types.ServingStatus.Serving });
}
