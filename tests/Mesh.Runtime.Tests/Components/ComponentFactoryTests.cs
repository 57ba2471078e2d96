using Mesh.Runtime.Components;

namespace Mesh.Runtime.Tests.Components;

public sealed class ComponentFactoryTests
{
    private const string Supported = "supported: state.redis, state.in-memory, pubsub.redis, pubsub.in-memory, secretstores.local.file, secretstores.local.env";

    [Fact]
    public void CreateStateStore_UnknownType_NamesFileComponentTypeAndSupportedTypes()
    {
        var definition = TestComponents.Define("cache", "state.foo") with { SourceFile = "components/x.yaml" };

        var error = Assert.Throws<ComponentException>(() => ComponentFactory.CreateStateStore(definition));

        Assert.Equal($"components/x.yaml: component 'cache' has unknown type 'state.foo'; {Supported}", error.Message);
    }

    [Fact]
    public void Validate_RedisWithoutHost_NamesTheField()
    {
        var definition = TestComponents.Define("statestore", "state.redis", ("redisPassword", ""));

        var error = Assert.Throws<ComponentException>(() => ComponentFactory.Validate(definition));

        Assert.Equal("components/test.yaml: component 'statestore': spec.metadata.redisHost is required for state.redis", error.Message);
    }

    [Theory]
    [InlineData("pubsub.redis", "processingTimeout", "soon", "spec.metadata.processingTimeout must be a duration such as 500ms, 15s or 1m (a bare number is milliseconds), not 'soon'")]
    [InlineData("pubsub.redis", "redeliverInterval", "-1s", "spec.metadata.redeliverInterval must not be negative, not '-1s'")]
    [InlineData("pubsub.redis", "queueDepth", "0", "spec.metadata.queueDepth must be at least 1, not '0'")]
    [InlineData("pubsub.redis", "concurrency", "many", "spec.metadata.concurrency must be an integer, not 'many'")]
    [InlineData("pubsub.redis", "maxLenApprox", "-5", "spec.metadata.maxLenApprox must be at least 0, not '-5'")]
    [InlineData("state.redis", "redisHost", "localhost", "spec.metadata.redisHost must be host:port (or a comma-separated list of them), not 'localhost'")]
    [InlineData("state.redis", "redisHost", "a:6379,b:70000", "spec.metadata.redisHost must be host:port (or a comma-separated list of them), not 'a:6379,b:70000'")]
    [InlineData("state.redis", "enableTLS", "maybe", "spec.metadata.enableTLS must be true or false, not 'maybe'")]
    [InlineData("state.redis", "redisDB", "-1", "spec.metadata.redisDB must be at least 0, not '-1'")]
    [InlineData("state.redis", "ttlInSeconds", "1h", "spec.metadata.ttlInSeconds must be an integer, not '1h'")]
    [InlineData("state.redis", "redisType", "ring", "spec.metadata.redisType must be node or cluster, not 'ring'")]
    [InlineData("state.redis", "failover", "true", "spec.metadata.failover (Redis Sentinel) is not supported by Mesh; point redisHost at the master")]
    [InlineData("state.in-memory", "ttlInSeconds", "x", "spec.metadata.ttlInSeconds must be an integer, not 'x'")]
    [InlineData("pubsub.in-memory", "redeliverInterval", "1 s", "spec.metadata.redeliverInterval must be a duration such as 500ms, 15s or 1m (a bare number is milliseconds), not '1 s'")]
    public void Validate_InvalidMetadata_NamesFileComponentAndField(string type, string field, string value, string problem)
    {
        var redis = type.EndsWith(".redis", StringComparison.Ordinal);
        var definition = redis
            ? TestComponents.Define("thing", type, ("redisHost", "127.0.0.1:6379"), (field, value))
            : TestComponents.Define("thing", type, (field, value));

        var error = Assert.Throws<ComponentException>(() => ComponentFactory.Validate(definition));

        Assert.Equal($"components/test.yaml: component 'thing': {problem}", error.Message);
    }

    [Fact]
    public void Validate_EveryHonouredSetting_IsAccepted()
    {
        var definition = TestComponents.Define(
            "statestore",
            "State.Redis",
            ("REDISHOST", "127.0.0.1:6379,127.0.0.2:6380"),
            ("redisPassword", ""),
            ("redisUsername", "mesh"),
            ("redisDB", "2"),
            ("redisType", "node"),
            ("dialTimeout", "2s"),
            ("readTimeout", "1500"),
            ("ttlInSeconds", "60"),
            ("actorStateStore", "true"),
            ("keyPrefix", "name"),
            ("failover", "false"),
            ("enableTLS", "False"),
            // Placeholders without a value configure nothing, as in Dapr.
            ("poolSize", ""),
            ("queryIndexes", ""));

        ComponentFactory.Validate(definition);
        Assert.Equal(1500, RedisStateStore.Parse(definition).Options.AsyncTimeout);
    }

    [Theory]
    [InlineData("state.redis", "redisType", "cluster", "redisType cluster (Redis Cluster) is not supported by Mesh; use a single Redis node")]
    [InlineData("state.redis", "poolSize", "20", "poolSize configures go-redis connection pooling (Mesh multiplexes one connection), which Mesh does not support; remove it")]
    [InlineData("state.redis", "redisMaxRetries", "3", "redisMaxRetries configures go-redis command retries (use a Resiliency policy), which Mesh does not support; remove it")]
    [InlineData("state.redis", "queryIndexes", "[]", "queryIndexes configures the state query API (RediSearch indexes), which Mesh does not support; remove it")]
    [InlineData("state.redis", "sentinelMasterName", "main", "sentinelMasterName configures Redis Sentinel, which Mesh does not support; remove it")]
    [InlineData("pubsub.redis", "streamTTL", "1h", "streamTTL configures stream entry TTL (XADD MINID), which Mesh does not support; remove it")]
    [InlineData("pubsub.redis", "writeTimeout", "1s", "writeTimeout configures a socket write timeout apart from readTimeout, which Mesh does not support; remove it")]
    [InlineData("pubsub.redis", "clientCert", "pem", "clientCert configures TLS client certificates, which Mesh does not support; remove it")]
    [InlineData("pubsub.redis", "publishingScopes", "a=t1", "publishingScopes configures pub/sub topic scoping, which Mesh does not support; remove it")]
    [InlineData("pubsub.redis", "ttlInSeconds", "5", "ttlInSeconds is not a pubsub.redis field")]
    [InlineData("pubsub.redis", "maxLenAprox", "5", "maxLenAprox is not a pubsub.redis field (did you mean maxLenApprox?)")]
    [InlineData("state.redis", "redisHots", "x", "redisHots is not a state.redis field (did you mean redisHost?)")]
    public void Validate_SettingMeshDoesNotHonour_RefusedNamingTheFeature(string type, string field, string value, string problem)
    {
        var definition = TestComponents.Define("thing", type, ("redisHost", "127.0.0.1:6379"), (field, value));

        var error = Assert.Throws<ComponentException>(() => ComponentFactory.Validate(definition));

        Assert.Equal($"components/test.yaml: component 'thing': spec.metadata.{problem}", error.Message);
    }

    [Fact]
    public void Validate_RefusedSettingFromAFile_NamesFileLineAndColumn()
    {
        using var folder = new Configuration.TempFolder();
        var path = folder.Write("c/pubsub.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: pubsub
            spec:
              type: pubsub.redis
              metadata:
                - name: redisHost
                  value: 127.0.0.1:6379
                - name: redisType
                  value: cluster
            """);
        var definition = Mesh.Runtime.Configuration.ResourceLoader.Load([folder.Path + "/c"], "orders").Components.Single();

        var error = Assert.Throws<ComponentException>(() => ComponentFactory.Validate(definition));

        Assert.StartsWith($"{path}:10:13: component 'pubsub': spec.metadata.redisType cluster (Redis Cluster)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnsupportedVersion_NamesTheVersion()
    {
        var definition = TestComponents.Define("pubsub", "pubsub.in-memory") with { Version = "v2" };

        var error = Assert.Throws<ComponentException>(() => ComponentFactory.Validate(definition));

        Assert.Equal("components/test.yaml: component 'pubsub' has unsupported version 'v2' for pubsub.in-memory; supported: v1", error.Message);
    }

    [Fact]
    public void CreatePubSub_StateStoreType_SaysItIsNotAPubSub()
    {
        var definition = TestComponents.Define("statestore", "state.in-memory");

        var error = Assert.Throws<ComponentException>(() => ComponentFactory.CreatePubSub(definition));

        Assert.Equal(
            "components/test.yaml: component 'statestore' has type 'state.in-memory', which is not a pub/sub; pub/sub types: pubsub.redis, pubsub.in-memory",
            error.Message);
    }

    [Fact]
    public async Task CreateStateStoreAndPubSub_InMemoryTypes_ReturnTheInMemoryComponents()
    {
        await using var store = ComponentFactory.CreateStateStore(TestComponents.Define("s", "state.in-memory"));
        await using var pubsub = ComponentFactory.CreatePubSub(TestComponents.Define("p", "pubsub.in-memory"));

        Assert.IsType<InMemoryStateStore>(store);
        Assert.IsType<InMemoryPubSub>(pubsub);
    }

    [Theory]
    [InlineData("state.redis", true, false)]
    [InlineData("state.in-memory", true, false)]
    [InlineData("pubsub.redis", false, true)]
    [InlineData("PubSub.In-Memory", false, true)]
    [InlineData("bindings.kafka", false, false)]
    public void IsStateStoreAndIsPubSub_Type_ClassifiesIt(string type, bool stateStore, bool pubSub)
    {
        Assert.Equal(stateStore, ComponentFactory.IsStateStore(type));
        Assert.Equal(pubSub, ComponentFactory.IsPubSub(type));
    }
}
