using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Mesh.Registry.Storage;

/// <summary>Readiness: the registry serves only while its Redis answers PING.</summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy($"redis answered in {latency.TotalMilliseconds:F1} ms");
        }
        catch (RedisException e)
        {
            return HealthCheckResult.Unhealthy("redis does not answer", e);
        }
    }
}
