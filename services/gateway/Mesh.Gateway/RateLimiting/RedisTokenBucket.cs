using System.Globalization;
using System.Threading.RateLimiting;
using StackExchange.Redis;

namespace Mesh.Gateway.RateLimiting;

/// <summary>A call to be rate limited: the client, the method, and the bucket that applies to the pair.</summary>
/// <param name="ClientId">The partner client.</param>
/// <param name="Method">The method's full name.</param>
/// <param name="Limit">The bucket's refill rate and size.</param>
public sealed record LimitedCall(string ClientId, string Method, GatewayOptions.RateLimitOptions Limit);

/// <summary>
/// A token bucket per client and method, kept in Redis so every gateway instance draws from the same bucket: one Lua
/// script refills the bucket for the time elapsed and takes a permit, atomically. The time is this instance's clock
/// (a <see cref="TimeProvider"/>), so instances should keep their clocks in sync as usual. A refused lease carries
/// <see cref="MetadataName.RetryAfter"/>: when the next permit will be there.
/// </summary>
public sealed class RedisTokenBucket(IConnectionMultiplexer redis, TimeProvider time, string keyPrefix = "mesh-gateway:ratelimit:")
    : PartitionedRateLimiter<LimitedCall>
{
    // KEYS[1] the bucket; ARGV: capacity, permits per millisecond, now (ms), permits asked.
    // Returns {1, 0} when taken, {0, wait ms} when the bucket holds too few.
    private static readonly LuaScript TakeScript = LuaScript.Prepare("""
        local capacity = tonumber(@capacity)
        local rate = tonumber(@rate)
        local now = tonumber(@now)
        local asked = tonumber(@asked)
        local state = redis.call('HMGET', @key, 'tokens', 'at')
        local tokens = tonumber(state[1]) or capacity
        local at = tonumber(state[2]) or now
        if now > at then
          tokens = math.min(capacity, tokens + (now - at) * rate)
          at = now
        end
        local taken = 0
        local wait = 0
        if tokens >= asked then
          tokens = tokens - asked
          taken = 1
        else
          wait = math.ceil((asked - tokens) / rate)
        end
        redis.call('HSET', @key, 'tokens', tostring(tokens), 'at', tostring(at))
        redis.call('PEXPIRE', @key, math.ceil(capacity / rate) + 1000)
        return {taken, wait}
        """);

    /// <inheritdoc />
    public override RateLimiterStatistics? GetStatistics(LimitedCall resource) => null;

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(LimitedCall resource, int permitCount) =>
        Lease(redis.GetDatabase().ScriptEvaluate(TakeScript, Arguments(resource, permitCount)));

    /// <inheritdoc />
    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(LimitedCall resource, int permitCount, CancellationToken cancellationToken) =>
        Lease(await redis.GetDatabase().ScriptEvaluateAsync(TakeScript, Arguments(resource, permitCount)));

    private object Arguments(LimitedCall call, int permits) => new
    {
        key = (RedisKey)$"{keyPrefix}{call.ClientId}:{call.Method}",
        capacity = call.Limit.Burst.ToString(CultureInfo.InvariantCulture),
        rate = (call.Limit.PermitsPerSecond / 1000).ToString("R", CultureInfo.InvariantCulture),
        now = time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
        asked = permits.ToString(CultureInfo.InvariantCulture),
    };

    private static RateLimitLease Lease(RedisResult result)
    {
        var values = (RedisResult[])result!;
        return (int)values[0] == 1 ? BucketLease.Taken : new BucketLease(TimeSpan.FromMilliseconds((long)values[1]));
    }

    private sealed class BucketLease(TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly BucketLease Taken = new(null);

        public override bool IsAcquired => retryAfter is null;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
