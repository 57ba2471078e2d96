namespace Mesh.Gateway;

/// <summary>A setting the gateway refuses to start with: an operator's mistake, reported as its message alone.</summary>
public sealed class GatewayConfigurationException(string message) : Exception(message)
{
    /// <summary>Refuses dev trust outside Development, a gateway that trusts no issuer, and limits that cannot work.</summary>
    public static void ThrowIfUnsafe(GatewayOptions options, IHostEnvironment environment)
    {
        if (Mesh.DevTokens.IssuerTrust.ProblemOf(options.Authentication, "Gateway:Authentication", "this gateway", environment.EnvironmentName) is { } problem)
        {
            throw new GatewayConfigurationException(problem);
        }

        foreach (var (name, limit) in options.Clients.SelectMany(c => Limits(c.Key, c.Value)).Append(("Gateway:RateLimit", options.RateLimit)))
        {
            if (limit.PermitsPerSecond <= 0 || limit.Burst < 1)
            {
                throw new GatewayConfigurationException($"{name} needs PermitsPerSecond above 0 and Burst of at least 1");
            }
        }

        if (options.Audit.MaxEntries <= 0 || options.Audit.Retention <= TimeSpan.Zero)
        {
            throw new GatewayConfigurationException("Gateway:Audit needs a positive MaxEntries and Retention");
        }
    }

    private static IEnumerable<(string, GatewayOptions.RateLimitOptions)> Limits(string client, GatewayOptions.ClientOptions options)
    {
        if (options.RateLimit is { } limit)
        {
            yield return ($"Gateway:Clients:{client}:RateLimit", limit);
        }

        foreach (var (method, methodLimit) in options.MethodRateLimits)
        {
            yield return ($"Gateway:Clients:{client}:MethodRateLimits:{method}", methodLimit);
        }
    }
}
