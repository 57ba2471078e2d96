// Soak: inventory-to-charge at half its measured maximum rate on the real mesh (`mesh run` of the repository's dapr.yaml,
// every app a process, ports moved as the demo tests move them; one redis-server, AOF on), driven through a sidecar of
// the run file as `mesh demo --attach` would be. After the burst that measures the maximum, a warm-up at the soak's rate
// (JIT tiering, GC heap sizing and pools settle in every process) precedes the soak, so growth compares steady state
// with steady state; the resident memory of every process is reported after the burst, after the warm-up and at the
// soak's end. Also consumption-to-posting p50/p99 per minute (by the minute an event was sent), Redis memory per minute,
// and the reconciliation of the soak's events.
// Run: dotnet run -c Release --project bench/Mesh.Soak.Bench [-- minutes [burst [retention]] [--warmup minutes]]
// (10 minutes, a 300-event burst to measure the maximum rate, a 2-minute warm-up, or as long as the soak when shorter;
// `-- 1` is the short mode, the same code for one minute; a retention such as `2m` replaces the shipped 168h after which
// completed sagas are purged, so a short soak shows what retention bounds; `--warmup 0` skips the warm-up)
using System.Diagnostics;
using System.Globalization;
using Mesh.Contracts.Inventory.V1;
using Mesh.Runtime.Hosting;
using Mesh.Scenarios;
using Mesh.Soak.Bench;
using Mesh.Testing;
using StackExchange.Redis;

var warmupAt = Array.IndexOf(args, "--warmup");
double? warmupOption = warmupAt >= 0 ? double.Parse(args[warmupAt + 1], CultureInfo.InvariantCulture) : null;
args = warmupAt >= 0 ? [.. args[..warmupAt], .. args[(warmupAt + 2)..]] : args;
var minutes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
var burst = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 300;
var warmup = TimeSpan.FromMinutes(warmupOption ?? Math.Min(2, minutes));
var patience = TimeSpan.FromMinutes(10);
// The workflow store's keys ("{appid}||mesh.workflow||{instance}") are the saga instances that retention purges.
const string SagaKeys = "||mesh.workflow||";
const string SagaFamily = "saga instances";

await using var redis = await RedisServer.StartAsync(appendOnly: true);
using var run = new RepositoryMesh(redis.ConnectionString, driver: true);
if (args.Length > 2)
{
    // The workflows app's Configuration with the shorter retention, in the run's folder, named by the run file.
    var shipped = File.ReadAllText(Path.Combine(Repository.Root, "config", "workflows.yaml"));
    var copy = Path.Combine(run.Folder, "workflows.yaml");
    File.WriteAllText(copy, shipped.Contains("completed: 168h", StringComparison.Ordinal)
        ? shipped.Replace("completed: 168h", $"completed: {args[2]}", StringComparison.Ordinal)
        : throw new InvalidOperationException("config/workflows.yaml no longer ships `completed: 168h`: update the soak's retention override"));
    const string reference = "configFilePath: ../../../config/workflows.yaml";
    var runFile = File.ReadAllText(run.RunFile);
    File.WriteAllText(run.RunFile, runFile.Contains(reference, StringComparison.Ordinal)
        ? runFile.Replace(reference, $"configFilePath: {copy}", StringComparison.Ordinal)
        : throw new InvalidOperationException("the run file no longer names config/workflows.yaml as the soak expects"));
}

using var mesh = MeshCommand.Start(run.Folder, ["run", "-f", run.RunFile]);
await mesh.WaitForOutputAsync("mesh: you're up and running", patience);
using var clients = new MeshClients(run.DriverEnvironment["DAPR_GRPC_ENDPOINT"]!, run.DriverEnvironment["DAPR_HTTP_ENDPOINT"]!, daprApiToken: run.DriverEnvironment["DAPR_API_TOKEN"]);
var scenario = new InventoryToChargeScenario(clients);
await using var connection = await ConnectionMultiplexer.ConnectAsync($"{redis.ConnectionString},allowAdmin=true");
var redisServer = connection.GetServer(redis.ConnectionString);

// The maximum: a burst sent at once, from the first send to the last case settled (after a warm-up of its own).
await BurstAsync(20);
var maximum = await BurstAsync(burst);
var rate = maximum / 2;
Console.WriteLine($"maximum {maximum:0.0} events/s (burst of {burst}); warming up {warmup.TotalMinutes:0.#} min, then soaking {minutes} min at {rate:0.0} events/s");

var warmupSpec = new ScenarioSpec((int)Math.Ceiling(rate * warmup.TotalSeconds), Locations: 4, DuplicateShare: 0);
var warmupEvents = warmupSpec.Events == 0 ? [] : InventoryToChargeScenario.Consumptions(await scenario.SeedAsync(warmupSpec, CancellationToken.None), warmupSpec);
var spec = new ScenarioSpec((int)Math.Ceiling(rate * 60 * minutes), Locations: 4, DuplicateShare: 0);
var catalog = await scenario.SeedAsync(spec, CancellationToken.None);
var events = InventoryToChargeScenario.Consumptions(catalog, spec);
var afterBurst = ProcessMemory.Sample([mesh.Id, redis.ProcessId]);
if (warmupEvents.Count > 0)
{
    await SendAtRateAsync(warmupEvents, warmupSpec, _ => Task.CompletedTask);
    await scenario.AwaitSettledAsync([.. warmupEvents.Select(e => e.Context.EventId)], patience, null, CancellationToken.None);
}

var rows = new List<(int Minute, double RedisMiB, double SagasMiB, double MeshRssMiB)>();
var familiesAtStart = await KeyFamiliesAsync();
var start = ProcessMemory.Sample([mesh.Id, redis.ProcessId]);
var (sentMinute, elapsed) = await SendAtRateAsync(events, spec, async minute =>
{
    if (minute >= rows.Count)
    {
        rows.Add((rows.Count, await RedisMiBAsync(), (await KeyFamiliesAsync()).GetValueOrDefault(SagaFamily), ProcessMemory.Sample([mesh.Id, redis.ProcessId]).Values.Sum()));
    }
});

var end = ProcessMemory.Sample([mesh.Id, redis.ProcessId]);
var familiesAtEnd = await KeyFamiliesAsync();
rows.Add((rows.Count, await RedisMiBAsync(), familiesAtEnd.GetValueOrDefault(SagaFamily), end.Values.Sum()));
var cases = await scenario.AwaitSettledAsync([.. events.Select(e => e.Context.EventId)], patience, null, CancellationToken.None);
var report = await scenario.ReconcileAsync(catalog, events, 0, cases, CancellationToken.None);
var afterSettling = await RedisMiBAsync();

Console.WriteLine();
Console.WriteLine($"Soak: {events.Count} events over {elapsed.TotalMinutes:0.0} min at {rate:0.0} events/s (half of {maximum:0.0}), after {warmupEvents.Count} events of warm-up, {Environment.ProcessorCount} cores");
Console.WriteLine();
// Growth is measured from the warm-up's end (steady state); from the burst's end it also holds the warm-up's growth.
Console.WriteLine("| process | RSS after burst MiB | RSS after warm-up (start) MiB | RSS end MiB | growth from start | growth from burst |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|");
foreach (var name in afterBurst.Keys.Union(start.Keys).Union(end.Keys).Order(StringComparer.Ordinal))
{
    var (burstEnd, before, after) = (afterBurst.GetValueOrDefault(name), start.GetValueOrDefault(name), end.GetValueOrDefault(name));
    Console.WriteLine($"| {name} | {burstEnd:0.0} | {before:0.0} | {after:0.0} | {Growth(before, after)} | {Growth(burstEnd, after)} |");
}

Console.WriteLine($"| **all** | {afterBurst.Values.Sum():0.0} | {start.Values.Sum():0.0} | {end.Values.Sum():0.0} | {Growth(start.Values.Sum(), end.Values.Sum())} | {Growth(afterBurst.Values.Sum(), end.Values.Sum())} |");
Console.WriteLine();
// Each minute's row: the events sent in it, their latency, and Redis and the processes as that minute began; "end" as sending ended.
Console.WriteLine("| minute | events sent | p50 ms | p99 ms | Redis used MiB | saga instances MiB | RSS of all MiB |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
var byEvent = cases.ToDictionary(InventoryToChargeScenario.EventIdOf, StringComparer.Ordinal);
for (var minute = 0; minute < rows.Count; minute++)
{
    var latencies = events.Select((e, i) => (e, i)).Where(x => sentMinute[x.i] == minute && byEvent.TryGetValue(x.e.Context.EventId, out var c) && c.InventoryToCharge.PostTime is not null)
        .Select(x => byEvent[x.e.Context.EventId].InventoryToCharge)
        .Select(c => (c.PostTime.ToDateTimeOffset() - c.OccurTime.ToDateTimeOffset()).TotalMilliseconds)
        .Order()
        .ToList();
    var count = sentMinute.Count(m => m == minute);
    var label = minute == rows.Count - 1 ? "end" : $"{minute}";
    Console.WriteLine(latencies.Count == 0
        ? $"| {label} | {count} | | | {rows[minute].RedisMiB:0.0} | {rows[minute].SagasMiB:0.0} | {rows[minute].MeshRssMiB:0.0} |"
        : $"| {label} | {count} | {ReconciliationReport.Percentile(latencies, 0.50):0} | {ReconciliationReport.Percentile(latencies, 0.99):0} | {rows[minute].RedisMiB:0.0} | {rows[minute].SagasMiB:0.0} | {rows[minute].MeshRssMiB:0.0} |");
}

Console.WriteLine();
Console.WriteLine("| Redis keys (MEMORY USAGE) | MiB at start | MiB at end |");
Console.WriteLine("|---|---:|---:|");
foreach (var family in familiesAtStart.Keys.Union(familiesAtEnd.Keys).Order(StringComparer.Ordinal))
{
    Console.WriteLine($"| {family} | {familiesAtStart.GetValueOrDefault(family):0.00} | {familiesAtEnd.GetValueOrDefault(family):0.00} |");
}

Console.WriteLine();
Console.WriteLine($"Redis used memory after settling: {afterSettling:0.0} MiB");
Console.WriteLine($"reconciled: {report.Balances}, settled {cases.Count}/{events.Count}, completed {report.Completed}, duplicates {report.Duplicates}");
ProcessSignals.Terminate(mesh.Id);
await mesh.ExitAsync(TimeSpan.FromMinutes(1));
return report.Balances && report.Duplicates == 0 ? 0 : 1;

async Task<double> BurstAsync(int count)
{
    var burstSpec = new ScenarioSpec(count, Locations: 4, DuplicateShare: 0);
    var seeded = await scenario.SeedAsync(burstSpec, CancellationToken.None);
    var consumed = InventoryToChargeScenario.Consumptions(seeded, burstSpec);
    var watch = Stopwatch.StartNew();
    await scenario.SendAsync(consumed, burstSpec, 32, CancellationToken.None);
    var settled = await scenario.AwaitSettledAsync([.. consumed.Select(e => e.Context.EventId)], patience, null, CancellationToken.None);
    return settled.Count / watch.Elapsed.TotalSeconds;
}

// Sends the events at the soak's rate (every 100 ms, what is due by now), calling eachTick with the minute reached; the
// minute each event was sent in, and how long sending took.
async Task<(int[] SentMinute, TimeSpan Elapsed)> SendAtRateAsync(List<ItemConsumed> toSend, ScenarioSpec sendSpec, Func<int, Task> eachTick)
{
    var minuteOf = new int[toSend.Count];
    var clock = Stopwatch.StartNew();
    var sent = 0;
    while (sent < toSend.Count)
    {
        var due = Math.Min(toSend.Count, (int)(clock.Elapsed.TotalSeconds * rate));
        if (due > sent)
        {
            Array.Fill(minuteOf, (int)clock.Elapsed.TotalMinutes, sent, due - sent);
            await scenario.SendAsync(toSend[sent..due], sendSpec, 32, CancellationToken.None);
            sent = due;
        }

        await eachTick((int)clock.Elapsed.TotalMinutes);
        await Task.Delay(100);
    }

    return (minuteOf, clock.Elapsed);
}

static string Growth(double before, double after) => before > 0 ? $"{(after - before) / before:+0.0%;-0.0%}" : "n/a";

// What each kind of key holds: saga instances (the workflow store), each app's state, and the pub/sub streams.
async Task<Dictionary<string, double>> KeyFamiliesAsync()
{
    var db = connection.GetDatabase();
    var families = new Dictionary<string, double>(StringComparer.Ordinal);
    var keys = new List<RedisKey>();
    await foreach (var key in redisServer.KeysAsync(pageSize: 1000))
    {
        keys.Add(key);
    }

    var sizes = await Task.WhenAll(keys.Select(async key => (Key: (string)key!, Bytes: (long)await db.ExecuteAsync("MEMORY", "USAGE", key))));
    foreach (var (key, bytes) in sizes)
    {
        var family = key.Contains(SagaKeys, StringComparison.Ordinal) ? SagaFamily
            : key.Contains("||", StringComparison.Ordinal) ? $"{key[..key.IndexOf("||", StringComparison.Ordinal)]} state"
            : "pub/sub streams and other keys";
        families[family] = families.GetValueOrDefault(family) + (bytes / (1024.0 * 1024.0));
    }

    return families;
}

async Task<double> RedisMiBAsync()
{
    var memory = (await redisServer.InfoAsync("memory")).SelectMany(group => group).First(pair => pair.Key == "used_memory");
    return long.Parse(memory.Value, CultureInfo.InvariantCulture) / (1024.0 * 1024.0);
}
