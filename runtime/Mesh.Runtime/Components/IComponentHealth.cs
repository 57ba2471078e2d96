using StackExchange.Redis;

namespace Mesh.Runtime.Components;

/// <summary>A component that can tell whether it can serve calls now (a Redis one: whether its server answers).</summary>
public interface IComponentHealth
{
    /// <summary>True when the component answers within <paramref name="timeout"/>.</summary>
    Task<bool> IsHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>The health check Redis components share: connected, and PING answered in time.</summary>
internal static class RedisHealth
{
    public static async Task<bool> PingAsync(Task<ConnectionMultiplexer> connecting, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await connecting.WaitAsync(timeout, cancellationToken);
            if (!connection.IsConnected)
            {
                return false;
            }

            await connection.GetDatabase().PingAsync().WaitAsync(timeout, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return false;
        }
    }
}
