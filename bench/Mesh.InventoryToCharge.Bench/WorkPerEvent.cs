using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Mesh.Testing;
using StackExchange.Redis;

/// <summary>
/// What one event costs, counted rather than timed, so that it holds on a busy machine: the CPU of this process (every
/// app and sidecar of the bench) and of redis-server, the HTTP/gRPC requests Kestrel served (by route: a sidecar hop and
/// an app call are each one), and the Redis commands run (by command, with Redis's own time for them). With the CPU
/// per event, the two cores bound the rate: at c ms of CPU per event, 2 cores give at most 2,000 / c events/s.
/// </summary>
internal sealed class WorkPerEvent : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentDictionary<string, long> requests = new(StringComparer.Ordinal);
    private readonly IServer redis;
    private readonly RedisServer redisServer;

    private WorkPerEvent(IServer redis, RedisServer redisServer)
    {
        this.redis = redis;
        this.redisServer = redisServer;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Microsoft.AspNetCore.Hosting" && instrument.Name == "http.server.request.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            var route = "(no route)";
            foreach (var tag in tags)
            {
                if (tag.Key == "http.route" && tag.Value is string value)
                {
                    route = value;
                }
            }

            requests.AddOrUpdate(route, 1, (_, n) => n + 1);
        });
        listener.Start();
    }

    /// <summary>Starts counting; Redis is reached on its own connection with admin commands allowed (INFO, CONFIG RESETSTAT).</summary>
    public static async Task<WorkPerEvent> StartAsync(RedisServer redisServer)
    {
        var connection = await ConnectionMultiplexer.ConnectAsync($"{redisServer.ConnectionString},allowAdmin=true");
        return new WorkPerEvent(connection.GetServer(redisServer.ConnectionString), redisServer);
    }

    /// <summary>Marks the start of a phase: the counts so far are dropped.</summary>
    public async Task<Mark> MarkAsync()
    {
        requests.Clear();
        await redis.ConfigResetStatisticsAsync();
        return new Mark(Process.GetCurrentProcess().TotalProcessorTime, redisServer.CpuTime, Stopwatch.GetTimestamp());
    }

    /// <summary>Prints what the phase since <paramref name="mark"/> cost per event.</summary>
    public async Task ReportAsync(string phase, Mark mark, int events)
    {
        var elapsed = Stopwatch.GetElapsedTime(mark.At).TotalSeconds;
        var processMs = (Process.GetCurrentProcess().TotalProcessorTime - mark.ProcessCpu).TotalMilliseconds / events;
        var redisMs = (redisServer.CpuTime - mark.RedisCpu).TotalMilliseconds / events;
        var perEvent = processMs + redisMs;
        var bound = Environment.ProcessorCount * 1000 / perEvent;
        var commands = await CommandStatsAsync();
        Console.WriteLine($"  work per event, {phase} ({events} events):");
        Console.WriteLine($"    CPU {perEvent:F1} ms (apps and sidecars {processMs:F1}, redis-server {redisMs:F1}); {Environment.ProcessorCount} cores at that cost: at most {bound:F0} events/s, measured {events / elapsed:F1} (cores busy {perEvent * events / 1000 / elapsed / Environment.ProcessorCount:P0})");
        Console.WriteLine($"    requests served {requests.Values.Sum() / (double)events:F1} per event; Redis commands {commands.Sum(c => c.Calls) / (double)events:F1} per event, Redis's own time {commands.Sum(c => c.Usec) / 1000.0 / events:F2} ms");
        foreach (var (route, count) in requests.OrderByDescending(r => r.Value).Take(12))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      {count / (double)events,6:F2}  {route}"));
        }

        foreach (var command in commands.OrderByDescending(c => c.Calls).Take(10))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"      {command.Calls / (double)events,6:F2}  redis {command.Name} ({command.Usec / (double)Math.Max(1, command.Calls):F1} µs each in Redis)"));
        }
    }

    public void Dispose() => listener.Dispose();

    private async Task<List<(string Name, long Calls, long Usec)>> CommandStatsAsync()
    {
        // INFO commandstats lines: cmdstat_xadd:calls=12,usec=34,usec_per_call=2.83,...
        var stats = new List<(string, long, long)>();
        foreach (var (key, value) in (await redis.InfoAsync("commandstats")).SelectMany(g => g))
        {
            var fields = value.Split(',').Select(f => f.Split('=')).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
            stats.Add((key["cmdstat_".Length..], long.Parse(fields["calls"], CultureInfo.InvariantCulture), long.Parse(fields["usec"], CultureInfo.InvariantCulture)));
        }

        return stats;
    }

    /// <summary>Where a phase began.</summary>
    public sealed record Mark(TimeSpan ProcessCpu, TimeSpan RedisCpu, long At);
}
