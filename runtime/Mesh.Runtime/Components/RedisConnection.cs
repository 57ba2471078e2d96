using System.Globalization;
using StackExchange.Redis;

namespace Mesh.Runtime.Components;

/// <summary>
/// The connection settings Dapr's Redis components share (components-contrib common/component/redis),
/// as StackExchange.Redis options. Settings without a counterpart here (go-redis's pool and retries, Sentinel,
/// Redis Cluster, ...) are refused by <see cref="MetadataFields"/> and below.
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

        // go-redis fails a command whose reply takes longer than readTimeout; StackExchange.Redis's command timeouts do that.
        if (metadata.Duration("readTimeout", TimeSpan.Zero) is { } readTimeout && readTimeout > TimeSpan.Zero)
        {
            options.SyncTimeout = options.AsyncTimeout = (int)readTimeout.TotalMilliseconds;
        }
        if (options.Ssl && metadata.Bool("insecureSkipTLSVerify", false))
        {
            options.CertificateValidation += (_, _, _, _) => true;
        }

        switch (metadata.Optional("redisType")?.ToLowerInvariant())
        {
            case null or "node":
                break;
            case "cluster":
                // Mesh's transactions and outbox run multi-key Lua scripts, which a cluster refuses across hash slots.
                throw metadata.Invalid("redisType", "cluster (Redis Cluster) is not supported by Mesh; use a single Redis node");
            case var other:
                throw metadata.Invalid("redisType", $"must be node or cluster, not '{other}'");
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
