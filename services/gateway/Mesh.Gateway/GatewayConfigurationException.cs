namespace Mesh.Gateway;

/// <summary>A setting the gateway refuses to start with: an operator's mistake, reported as its message alone.</summary>
public sealed class GatewayConfigurationException(string message) : Exception(message)
{
    /// <summary>Refuses dev trust outside Development, a gateway that trusts no issuer, and limits that cannot work.</summary>
    public static void ThrowIfUnsafe(GatewayOptions options, IHostEnvironment environment)
    {
        var auth = options.Authentication;
        if (auth.DevIssuer && !environment.IsDevelopment())
        {
            throw new GatewayConfigurationException(
                "Gateway:Authentication:DevIssuer trusts the repository's dev key, which anyone can mint tokens with; it is accepted only when " +
                $"ASPNETCORE_ENVIRONMENT is Development (it is {environment.EnvironmentName}): set Authority or JwksFile and Issuer instead");
        }

        if (auth.DevKeyFile.Length > 0 && !environment.IsDevelopment())
        {
            throw new GatewayConfigurationException(
                $"Gateway:Authentication:DevKeyFile names a dev signing key, accepted only when ASPNETCORE_ENVIRONMENT is Development (it is {environment.EnvironmentName})");
        }

        if (!auth.DevIssuer && auth.Authority.Length == 0 && auth.JwksFile.Length == 0)
        {
            throw new GatewayConfigurationException("Gateway:Authentication trusts no issuer: set Authority, or JwksFile with Issuer (or DevIssuer in Development)");
        }

        if (auth.JwksFile.Length > 0 && auth.Issuer.Length == 0)
        {
            throw new GatewayConfigurationException("Gateway:Authentication:JwksFile needs Gateway:Authentication:Issuer, the iss its tokens carry");
        }

        if (auth.JwksFile.Length > 0 && !File.Exists(auth.JwksFile))
        {
            throw new GatewayConfigurationException($"Gateway:Authentication:JwksFile: {auth.JwksFile} does not exist");
        }

        if (auth.Audience.Length == 0)
        {
            throw new GatewayConfigurationException("Gateway:Authentication:Audience must name this gateway");
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
