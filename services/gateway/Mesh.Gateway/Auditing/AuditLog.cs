using System.Globalization;
using System.Threading.Channels;
using StackExchange.Redis;

namespace Mesh.Gateway.Auditing;

/// <summary>
/// One partner call in the audit log: who, which method, which resource names, the outcome and how long it took.
/// Never a field value.
/// </summary>
/// <param name="Id">The Redis stream entry id ("{unix ms}-{seq}"); empty before it is written.</param>
/// <param name="Time">When the call arrived.</param>
/// <param name="Client">The partner client id, or "(anonymous)" when no valid token was presented.</param>
/// <param name="Method">The method's full name, or the request path when it is not a partner method.</param>
/// <param name="Protocol">grpc, grpc-web or rest.</param>
/// <param name="Resources">The resource names asked for or returned.</param>
/// <param name="Status">The gRPC status code name, e.g. OK, UNAUTHENTICATED.</param>
/// <param name="Reason">Why the gateway refused the call itself (e.g. "the bearer token has expired"); empty otherwise.</param>
/// <param name="LatencyMicroseconds">Time spent in the gateway, including the service.</param>
public sealed record AuditEntry(
    string Id, DateTimeOffset Time, string Client, string Method, string Protocol, IReadOnlyList<string> Resources, string Status, string Reason, long LatencyMicroseconds)
{
    /// <summary>The client recorded for calls without a valid token.</summary>
    public const string Anonymous = "(anonymous)";
}

/// <summary>
/// The append-only audit stream in Redis. Calls are queued and written in the background, so the audit never adds a
/// Redis round trip to a partner's latency; each write appends with <c>XADD MAXLEN ~</c> and trims entries older than
/// the retention with <c>XTRIM MINID ~</c>, in one script.
/// </summary>
public sealed class AuditLog(IConnectionMultiplexer redis, GatewayOptions options, TimeProvider time, ILogger<AuditLog> logger) : BackgroundService
{
    /// <summary>The stream's key.</summary>
    public const string StreamKey = "mesh-gateway:audit";

    private static readonly LuaScript AppendScript = LuaScript.Prepare("""
        local id = redis.call('XADD', @key, 'MAXLEN', '~', @maxlen, '*',
          'time', @time, 'client', @client, 'method', @method, 'protocol', @protocol, 'resources', @resources,
          'status', @status, 'reason', @reason, 'latency_us', @latency)
        redis.call('XTRIM', @key, 'MINID', '~', @minid)
        return id
        """);

    private readonly Channel<AuditEntry> queue = Channel.CreateBounded<AuditEntry>(new BoundedChannelOptions(100_000) { FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Queues an entry; it reaches the stream within moments.</summary>
    public void Record(AuditEntry entry)
    {
        if (!queue.Writer.TryWrite(entry))
        {
            logger.LogError("The audit queue is full; the call of {Client} to {Method} was not recorded", entry.Client, entry.Method);
        }
    }

    /// <summary>The newest entries first, before entry id <paramref name="before"/> (exclusive) when given, optionally of one client or method.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ReadAsync(string? before, int limit, string? client, string? method)
    {
        var database = redis.GetDatabase();
        var found = new List<AuditEntry>();
        var max = string.IsNullOrEmpty(before) ? "+" : "(" + before;
        // Page through the stream backwards until enough entries match the filter.
        while (found.Count < limit)
        {
            var page = await database.StreamRangeAsync(StreamKey, "-", max, count: Math.Max(limit, 100), messageOrder: Order.Descending);
            if (page.Length == 0)
            {
                break;
            }

            found.AddRange(page.Select(Parse).Where(e => (client is null || e.Client == client) && (method is null || e.Method == method)).Take(limit - found.Count));
            max = "(" + page[^1].Id;
        }

        return found;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var entry in queue.Reader.ReadAllAsync(stoppingToken))
        {
            await WriteAsync(entry);
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // What is queued at shutdown is still written.
        queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
        while (queue.Reader.TryRead(out var entry))
        {
            await WriteAsync(entry);
        }
    }

    private async Task WriteAsync(AuditEntry entry)
    {
        try
        {
            var oldest = time.GetUtcNow() - options.Audit.Retention;
            await redis.GetDatabase().ScriptEvaluateAsync(AppendScript, new
            {
                key = (RedisKey)StreamKey,
                maxlen = options.Audit.MaxEntries.ToString(CultureInfo.InvariantCulture),
                minid = oldest.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
                time = entry.Time.ToString("O", CultureInfo.InvariantCulture),
                client = entry.Client,
                method = entry.Method,
                protocol = entry.Protocol,
                resources = string.Join(' ', entry.Resources),
                status = entry.Status,
                reason = entry.Reason,
                latency = entry.LatencyMicroseconds.ToString(CultureInfo.InvariantCulture),
            });
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogError(e, "The call of {Client} to {Method} could not be written to the audit stream", entry.Client, entry.Method);
        }
    }

    private static AuditEntry Parse(StreamEntry entry)
    {
        string Field(string name) => (string?)entry[name] ?? "";
        return new AuditEntry(
            entry.Id!,
            DateTimeOffset.Parse(Field("time"), CultureInfo.InvariantCulture),
            Field("client"),
            Field("method"),
            Field("protocol"),
            Field("resources").Split(' ', StringSplitOptions.RemoveEmptyEntries),
            Field("status"),
            Field("reason"),
            long.Parse(Field("latency_us"), CultureInfo.InvariantCulture));
    }
}
