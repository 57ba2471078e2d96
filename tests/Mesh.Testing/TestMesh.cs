using Mesh.Runtime;
using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Security;
using Mesh.Runtime.Sidecar;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Testing;

/// <summary>
/// One machine's mesh for tests and benchmarks, as <c>mesh run</c> builds it: a real redis-server, the
/// components of <c>components/</c> (state.redis "statestore" that also holds workflows, pubsub.redis "pubsub"),
/// and an embedded sidecar per app. Apps run in this process on loopback Kestrel, configured exactly as the
/// Dapr CLI would configure them (DAPR_GRPC_ENDPOINT, DAPR_HTTP_ENDPOINT, APP_ID), or as child processes
/// that the caller starts with <see cref="EnvironmentFor"/>.
/// </summary>
public sealed class TestMesh : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> owned = [];
    private readonly Dictionary<string, DaprSidecar> sidecars = new(StringComparer.Ordinal);
    private readonly ComponentDefinition[] components;
    private readonly Dictionary<string, IStateStore> stateStores;
    private readonly Dictionary<string, IPubSub> pubSubs;
    private readonly ILoggerFactory logs;

    private TestMesh(RedisServer redis, ComponentDefinition[] components, Dictionary<string, IStateStore> stateStores, Dictionary<string, IPubSub> pubSubs, ILoggerFactory logs)
    {
        Redis = redis;
        this.components = components;
        this.stateStores = stateStores;
        this.pubSubs = pubSubs;
        this.logs = logs;
    }

    /// <summary>The Redis behind every component.</summary>
    public RedisServer Redis { get; }

    /// <summary>The CloudEvents on <paramref name="topic"/>'s Redis stream so far, oldest first.</summary>
    public async Task<List<System.Text.Json.Nodes.JsonNode>> PublishedAsync(string topic)
    {
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        var entries = await connection.GetDatabase().StreamRangeAsync(topic);
        return [.. entries.Select(e => System.Text.Json.Nodes.JsonNode.Parse((string)e["data"]!)!)];
    }

    /// <summary>The apps known to every sidecar.</summary>
    public AppDirectory Directory { get; } = new();

    /// <summary>Starts Redis and the components. <paramref name="resiliency"/> applies to every sidecar.</summary>
    public static async Task<TestMesh> StartAsync(ResiliencySpec? resiliency = null, ILoggerFactory? logs = null)
    {
        var redis = await RedisServer.StartAsync(appendOnly: true);
        var host = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["redisHost"] = redis.ConnectionString };
        var statestore = new ComponentDefinition("statestore", "state.redis", "v1", new Dictionary<string, string>(host, StringComparer.OrdinalIgnoreCase) { ["actorStateStore"] = "true" }, [], "statestore.yaml");
        var pubsub = new ComponentDefinition("pubsub", "pubsub.redis", "v1", new Dictionary<string, string>(host, StringComparer.OrdinalIgnoreCase) { ["redeliverInterval"] = "2s", ["processingTimeout"] = "5s" }, [], "pubsub.yaml");
        ComponentDefinition[] components = [statestore, pubsub, .. OutboxComponents(host)];
        var loggers = logs ?? NullLoggerFactory.Instance;
        var mesh = new TestMesh(
            redis,
            components,
            components.Where(c => ComponentFactory.IsStateStore(c.Type)).ToDictionary(c => c.Name, c => ComponentFactory.CreateStateStore(c)),
            components.Where(c => ComponentFactory.IsPubSub(c.Type)).ToDictionary(c => c.Name, c => ComponentFactory.CreatePubSub(c, loggers)),
            loggers)
        {
            Resiliency = resiliency ?? ResiliencySpec.None,
        };
        mesh.owned.Add(redis);
        mesh.owned.AddRange(mesh.stateStores.Values);
        mesh.owned.AddRange(mesh.pubSubs.Values);
        return mesh;
    }

    // As components/outbox.yaml: each service's outbox-enabled store (scoped to it) publishing to "{app}.events", and
    // the pub/sub of their internal topics, which waits longer than a relay takes to give up on a failed transaction.
    private static IEnumerable<ComponentDefinition> OutboxComponents(Dictionary<string, string> host)
    {
        yield return new ComponentDefinition("outbox-pubsub", "pubsub.redis", "v1", new Dictionary<string, string>(host, StringComparer.OrdinalIgnoreCase)
        {
            ["processingTimeout"] = "30s", ["redeliverInterval"] = "2s", ["concurrency"] = "100",
        }, [], "outbox.yaml");
        foreach (var app in new[] { "charges", "finance", "inventory", "masterdata" })
        {
            yield return new ComponentDefinition($"{app}-outbox", "state.redis", "v1", new Dictionary<string, string>(host, StringComparer.OrdinalIgnoreCase)
            {
                ["outboxPublishPubsub"] = "pubsub", ["outboxPublishTopic"] = $"{app}.events", ["outboxPubsub"] = "outbox-pubsub", ["outboxDiscardWhenMissingState"] = "true",
            }, [app], "outbox.yaml");
        }
    }

    private ResiliencySpec Resiliency { get; init; } = ResiliencySpec.None;

    /// <summary>The sidecar of an app id started here.</summary>
    public DaprSidecar SidecarOf(string appId) => sidecars[appId];

    /// <summary>
    /// Registers <paramref name="appId"/> on <paramref name="appPort"/> (0 for a client without an app channel)
    /// and starts its sidecar. An app's sidecar gets a DAPR_API_TOKEN and an APP_API_TOKEN of its own, as mesh run gives
    /// them; a client's sidecar (a test calling the mesh) runs without tokens, as daprd without the variables.
    /// </summary>
    public async Task<DaprSidecar> StartSidecarAsync(string appId, int appPort = 0, string protocol = "http")
    {
        Directory.Register(new AppEndpoint(appId, "127.0.0.1", appPort, protocol));
        var sidecar = await DaprSidecar.StartAsync(
            new SidecarSettings(Directory.Find(appId)!, 0, 0, stateStores, pubSubs, components, Resiliency, Directory)
            {
                ApiToken = appPort == 0 ? null : ApiTokens.NewToken(),
                AppApiToken = appPort == 0 ? null : ApiTokens.NewToken(),
            },
            logs,
            CancellationToken.None);
        sidecars[appId] = sidecar;
        owned.Add(sidecar);
        return sidecar;
    }

    /// <summary>
    /// Starts <paramref name="appId"/> in this process on a free loopback port, behind its own sidecar, wired by
    /// <paramref name="configure"/> and <paramref name="map"/> as its Program.cs wires it, and starts deliveries to it.
    /// </summary>
    public async Task<WebApplication> StartAppAsync(
        string appId, string protocol, Action<WebApplicationBuilder> configure, Action<WebApplication> map, IDictionary<string, string?>? settings = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = LoopbackPorts.Free();
            var sidecar = await StartSidecarAsync(appId, port, protocol);
            var builder = LoopbackApp.CreateBuilder(protocol is "grpc" or "h2c" ? HttpProtocols.Http2 : HttpProtocols.Http1AndHttp2, port);
            builder.Configuration.AddInMemoryCollection(EnvironmentFor(appId).Concat(settings ?? new Dictionary<string, string?>()));
            configure(builder);
            var app = builder.Build();
            map(app);
            try
            {
                await app.StartAsync();
            }
            catch (IOException) when (attempt < 5)
            {
                // The free port went to another listener (often a sidecar binding port 0) before the app bound it.
                await app.DisposeAsync();
                owned.Remove(sidecar);
                await sidecar.DisposeAsync();
                continue;
            }

            owned.Add(app);
            await sidecar.StartDeliveriesAsync(CancellationToken.None);
            return app;
        }
    }

    /// <summary>The environment the Dapr CLI gives an app registered here (with its tokens), for this mesh's sidecar of it.</summary>
    public Dictionary<string, string?> EnvironmentFor(string appId) =>
        sidecars[appId].AppEnvironment().ToDictionary(e => e.Key, e => (string?)e.Value);

    /// <summary>The APP_API_TOKEN of an app started here: what a test that calls the app directly, as its sidecar, must send.</summary>
    public string? AppTokenOf(string appId) => EnvironmentFor(appId).GetValueOrDefault(ApiTokens.AppApiTokenVariable);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var item in Enumerable.Reverse(owned))
        {
            await item.DisposeAsync();
        }
    }
}
