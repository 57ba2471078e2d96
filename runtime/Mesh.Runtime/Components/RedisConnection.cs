using System.Globalization;
using StackExchange.Redis;

namespace Mesh.Runtime.Components;

/// <summary>
/// The connection settings Dapr's Redis components share (components-contrib common/component/redis),
/// as StackExchange.Redis options. Settings that tune go-redis's own pool and retries (poolSize,
/// redisMaxRetries, redisMinRetryInterval, writeTimeout, ...) have no counterpart and are ignored.
/// </summary>
internal static class RedisConnection
{
    /// <summary>Validates the metadata and builds the options; nothing connects.</summary>
    public static ConfigurationOptions Options(ComponentMetadata metadata)
    {
        var options = new ConfigurationOptions
        {
            // A Redis that comes up after the sidecar is used once it answers, instead of failing the sidecar.
            AbortOnConnectFail = false,
            User = metadata.Optional("redisUsername"),
            Password = metadata.Optional("redisPassword"),
            DefaultDatabase = (int)metadata.Integer("redisDB", 0, minimum: 0),
            Ssl = metadata.Bool("enableTLS", false),
            ConnectTimeout = (int)metadata.Duration("dialTimeout", TimeSpan.FromSeconds(5)).TotalMilliseconds,
        };
        if (options.Ssl && metadata.Bool("insecureSkipTLSVerify", false))
        {
            options.CertificateValidation += (_, _, _, _) => true;
        }

        // StackExchange.Redis finds out by itself whether the endpoints are a cluster, so "cluster" needs nothing more.
        if (metadata.Optional("redisType")?.ToLowerInvariant() is { } type && type is not ("node" or "cluster"))
        {
            throw metadata.Invalid("redisType", $"must be node or cluster, not '{type}'");
        }

        if (metadata.Bool("failover", false))
        {
            throw metadata.Invalid("failover", "(Redis Sentinel) is not supported by Mesh; point redisHost at the master");
        }

        var hosts = metadata.Required("redisHost");
        foreach (var host in hosts.Split(',', StringSplitOptions.TrimEntries))
        {
            var colon = host.LastIndexOf(':');
            if (colon <= 0
                || !int.TryParse(host.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                || port is < 1 or > 65535)
            {
                throw metadata.Invalid("redisHost", $"must be host:port (or a comma-separated list of them), not '{hosts}'");
            }

            options.EndPoints.Add(host);
        }

        return options;
    }
}
