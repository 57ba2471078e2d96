namespace Mesh.Runtime.Components;

/// <summary>
/// The spec.metadata fields each supported component type accepts. Every field is either honoured (by the component
/// or, like keyPrefix and consumerID, by the sidecar) or refused at load naming the Dapr feature it configures: a
/// setting Mesh does not implement is never accepted and ignored. A field Dapr does not define for the type is
/// refused too, with the nearest known name. Refused fields are refused only with a value: component files often
/// carry <c>redisPassword: ""</c>-style placeholders, which Dapr also treats as unset.
/// </summary>
internal static class MetadataFields
{
    // Read by daprd rather than the component (state key prefixes, the actor store, the outbox, state encryption; the
    // consumer group).
    private static readonly string[] SidecarState =
    [
        "keyPrefix", "actorStateStore", "outboxPublishPubsub", "outboxPublishTopic", "outboxPubsub", "outboxDiscardWhenMissingState",
        StateEncryption.PrimaryKey, StateEncryption.SecondaryKey,
    ];
    private static readonly string[] SidecarPubSub = ["consumerID"];

    // Dapr's Redis connection settings (components-contrib common/component/redis) that Mesh's client implements.
    private static readonly string[] RedisConnection = ["redisHost", "redisPassword", "redisUsername", "redisDB", "redisType", "failover", "enableTLS", "insecureSkipTLSVerify", "dialTimeout", "readTimeout"];

    private static readonly Dictionary<string, string[]> Honoured = new(StringComparer.Ordinal)
    {
        [RedisStateStore.ComponentType] = [.. RedisConnection, .. SidecarState, "ttlInSeconds"],
        [RedisStreamsPubSub.ComponentType] = [.. RedisConnection, .. SidecarPubSub, "processingTimeout", "redeliverInterval", "queueDepth", "concurrency", "maxLenApprox"],
        [InMemoryStateStore.ComponentType] = [.. SidecarState, "ttlInSeconds"],
        [InMemoryPubSub.ComponentType] = [.. SidecarPubSub, "redeliverInterval", "concurrency"],
        [LocalFileSecretStore.ComponentType] = ["secretsFile", "nestedSeparator", "multiValued"],
        [EnvSecretStore.ComponentType] = ["prefix"],
    };

    private static readonly (string[] Fields, string Feature)[] SidecarRefusals =
    [
        (["allowedTopics", "publishingScopes", "subscriptionScopes", "protectedTopics"], "pub/sub topic scoping"),
    ];

    private static readonly (string[] Fields, string Feature)[] RedisRefusals =
    [
        (["redisPort"], "a port apart from the host (give it in redisHost as host:port)"),
        (["sentinelMasterName", "sentinelUsername", "sentinelPassword"], "Redis Sentinel"),
        (["redisMaxRetries", "redisMinRetryInterval", "redisMaxRetryInterval"], "go-redis command retries (use a Resiliency policy)"),
        (["writeTimeout"], "a socket write timeout apart from readTimeout"),
        (["poolSize", "minIdleConns", "maxConnAge", "poolTimeout", "idleTimeout", "idleCheckFrequency"], "go-redis connection pooling (Mesh multiplexes one connection)"),
        (["clientCert", "clientKey"], "TLS client certificates"),
        (["useEntraID", "useAzureAD"], "Entra ID authentication"),
        (["useOIDC", "oidcTokenEndpoint", "oidcClientID", "oidcClientAssertionCert", "oidcClientAssertionKey", "oidcResource", "oidcAudience", "oidcKid", "oidcScopes", "oidcCACert"], "OIDC authentication"),
        (["queryIndexes"], "the state query API (RediSearch indexes)"),
        (["streamTTL"], "stream entry TTL (XADD MINID)"),
    ];

    /// <summary>Refuses every field of <paramref name="definition"/> that its type (<paramref name="type"/>, lower case) does not honour.</summary>
    /// <exception cref="ComponentException">A field is refused; the message names where, the field and the feature.</exception>
    public static void Check(ComponentDefinition definition, string type)
    {
        var honoured = Honoured[type];
        var metadata = new ComponentMetadata(definition);
        var refusals = type.EndsWith(".redis", StringComparison.Ordinal) ? SidecarRefusals.Concat(RedisRefusals)
            : ComponentFactory.IsSecretStore(type) ? []
            : SidecarRefusals;
        foreach (var name in definition.Metadata.Keys)
        {
            if (honoured.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            if (refusals.FirstOrDefault(r => r.Fields.Contains(name, StringComparer.OrdinalIgnoreCase)).Feature is { } feature)
            {
                if (metadata.Optional(name) is not null)
                {
                    throw metadata.Invalid(name, $"configures {feature}, which Mesh does not support; remove it");
                }

                continue;
            }

            throw metadata.Invalid(name, $"is not a {type} field{Configuration.YamlMap.Suggestion(name, [.. honoured, .. refusals.SelectMany(r => r.Fields)])}");
        }
    }
}
