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
        var definition = TestComponents.Define("thing", type, ("redisHost", "127.0.0.1:6379"), (field, value));

        var error = Assert.Throws<ComponentException>(() => ComponentFactory.Validate(definition));

        Assert.Equal($"components/test.yaml: component 'thing': {problem}", error.Message);
    }

    [Fact]
    public void Validate_DocumentedSettingsMesh_DoesNotUse_AreTolerated()
    {
        var definition = TestComponents.Define(
            "statestore",
            "State.Redis",
            ("REDISHOST", "127.0.0.1:6379,127.0.0.2:6380"),
            ("redisPassword", ""),
            ("redisType", "node"),
            ("redisMaxRetries", "3"),
            ("redisMinRetryInterval", "8ms"),
            ("poolSize", "20"),
            ("queryIndexes", "[]"),
            ("actorStateStore", "true"),
            ("keyPrefix", "name"),
            ("failover", "false"),
            ("enableTLS", "False"));

        ComponentFactory.Validate(definition);
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
