using Mesh.Runtime;
using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Hosting;
using Mesh.Runtime.Security;
using Mesh.Runtime.Sidecar;
using Mesh.Runtime.Telemetry;

namespace Mesh.Testing;

/// <summary>
/// One machine's mesh for tests and benchmarks, hosted as <c>mesh run</c> hosts one (<see cref="MeshHost"/>): a real
/// redis-server on a free port behind the components of <c>components/</c> (state.redis "statestore", which also holds
/// workflows, pubsub.redis "pubsub", with short redelivery times, and the services' outboxes), a sidecar per app, and the apps themselves
/// (<see cref="TestApp"/>), each on a free loopback port with the configuration <c>mesh run</c> gives it, started in
/// order once every sidecar runs; deliveries to an app start once it answers. Disposing stops the apps (newest first),
/// then the mesh, then Redis.
/// </summary>
public sealed class TestMesh : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private const int PortAttempts = 5;

    private readonly Dictionary<string, TestApp> apps;
    private readonly Dictionary<string, IAsyncDisposable> running = new(StringComparer.Ordinal);
    private readonly List<string> started = [];
    private readonly IReadOnlyList<ComponentDefinition> components;
    private readonly ResiliencySpec resiliency;

    private TestMesh(RedisServer redis, MeshHost host, IEnumerable<TestApp> apps, IReadOnlyList<ComponentDefinition> components, ResiliencySpec resiliency)
    {
        Redis = redis;
        Host = host;
        this.apps = apps.ToDictionary(app => app.AppId, StringComparer.Ordinal);
        this.components = components;
        this.resiliency = resiliency;
    }

    /// <summary>The Redis behind every component.</summary>
    public RedisServer Redis { get; }

    /// <summary>The mesh: its app directory and sidecars.</summary>
    public MeshHost Host { get; }

    /// <summary>Starts Redis, the mesh and every app, in order.</summary>
    public static Task<TestMesh> StartAsync(params TestApp[] apps) => StartAsync(apps, ResiliencySpec.None);

    /// <summary>
    /// Starts Redis, the mesh (<paramref name="resiliency"/> applies to every sidecar; with <paramref name="metrics"/>,
    /// the runtime's metrics endpoint, <see cref="MeshHost.Telemetry"/>; with <paramref name="workflowClock"/>, the
    /// workflow engines' clock, <see cref="MeshHostOptions.WorkflowClock"/>) and every app, in order.
    /// </summary>
    public static async Task<TestMesh> StartAsync(IReadOnlyList<TestApp> apps, ResiliencySpec resiliency, MetricsEndpoint? metrics = null, TimeProvider? workflowClock = null)
    {
        var redis = await RedisServer.StartAsync(appendOnly: true);
        MeshHost? host = null;
        try
        {
            var components = Components(redis);
            host = await MeshHost.StartAsync([.. apps.Select(app => Declare(app, components, resiliency))], new MeshHostOptions { Metrics = metrics, WorkflowClock = workflowClock });
            var mesh = new TestMesh(redis, host, apps, components, resiliency);
            try
            {
                foreach (var app in apps.Where(app => app.Start is not null))
                {
                    await mesh.StartAppAsync(app);
                }
            }
            catch
            {
                await mesh.DisposeAsync();
                throw;
            }

            return mesh;
        }
        catch when (host is null)
        {
            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Adds an app to the running mesh, its sidecar then the app, for an app whose settings name what the mesh started
    /// (e.g. <see cref="Redis"/>'s address).
    /// </summary>
    public async Task AddAppAsync(TestApp app)
    {
        await Host.AddAsync(Declare(app, components, resiliency));
        apps[app.AppId] = app;
        if (app.Start is not null)
        {
            await StartAppAsync(app);
        }
    }

    /// <summary>The sidecar of an app.</summary>
    public DaprSidecar SidecarOf(string appId) => Host.SidecarOf(appId);

    /// <summary>The Dapr gRPC endpoint of an app's sidecar, e.g. for a client's invocation invoker.</summary>
    public string GrpcEndpointOf(string appId) => $"http://127.0.0.1:{SidecarOf(appId).GrpcPort}";

    /// <summary>The Dapr HTTP endpoint of an app's sidecar.</summary>
    public string HttpEndpointOf(string appId) => $"http://127.0.0.1:{SidecarOf(appId).HttpPort}";

    /// <summary>Where an app listens (the test's controls, not through the mesh).</summary>
    public Uri AddressOf(string appId) => Host.Directory.Find(appId)?.BaseUri ?? throw new KeyNotFoundException($"no app '{appId}' in this mesh");

    /// <summary>The services of an app hosted in this process.</summary>
    public IServiceProvider ServicesOf(string appId) => AppOf<IInProcessApp>(appId).Services;

    /// <summary>A started app as its host runs it (<see cref="ChildApp"/>, <see cref="IInProcessApp"/>).</summary>
    public T AppOf<T>(string appId) => (T)running[appId];

    /// <summary>
    /// Starts an app again, on the same port behind the same sidecar, whose deliveries go on (e.g. after a test
    /// killed its process); what ran before is disposed first.
    /// </summary>
    public async Task RestartAppAsync(string appId)
    {
        if (running.Remove(appId, out var before))
        {
            await before.DisposeAsync();
        }

        var app = apps[appId];
        running[appId] = await app.Start!(Host.Directory.Find(appId)!.Port, Configuration(appId));
    }

    /// <summary>The CloudEvents on <paramref name="topic"/>'s Redis stream so far, oldest first.</summary>
    public async Task<List<System.Text.Json.Nodes.JsonNode>> PublishedAsync(string topic)
    {
        await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        var entries = await connection.GetDatabase().StreamRangeAsync(topic);
        return [.. entries.Select(e => System.Text.Json.Nodes.JsonNode.Parse((string)e["data"]!)!)];
    }

    /// <summary>The APP_API_TOKEN of an app started here: what a test that calls the app directly, as its sidecar, must send.</summary>
    public string? AppTokenOf(string appId) => Host.AppTokenOf(appId);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var appId in Enumerable.Reverse(started))
        {
            if (running.Remove(appId, out var app))
            {
                await app.DisposeAsync();
            }
        }

        await Host.DisposeAsync();
        await Redis.DisposeAsync();
    }

    // The repository's components/ with their Redis on the test's server and redeliveries a test can wait for, and,
    // as components/outbox.yaml: each service's outbox-enabled store (scoped to it) publishing to "{app}.events", and
    // the pub/sub of their internal topics, which waits longer than a relay takes to give up on a failed transaction.
    private static List<ComponentDefinition> Components(RedisServer redis)
    {
        Dictionary<string, string> Metadata(params (string Key, string Value)[] extra)
        {
            var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["redisHost"] = redis.ConnectionString };
            foreach (var (key, value) in extra)
            {
                metadata[key] = value;
            }

            return metadata;
        }

        List<ComponentDefinition> components =
        [
            new ComponentDefinition("statestore", "state.redis", "v1", Metadata(("actorStateStore", "true")), [], "statestore.yaml"),
            new ComponentDefinition("pubsub", "pubsub.redis", "v1", Metadata(("redeliverInterval", "2s"), ("processingTimeout", "5s")), [], "pubsub.yaml"),
            new ComponentDefinition("outbox-pubsub", "pubsub.redis", "v1", Metadata(("processingTimeout", "30s"), ("redeliverInterval", "2s"), ("concurrency", "100")), [], "outbox.yaml"),
        ];
        foreach (var app in new[] { "charges", "finance", "inventory", "masterdata", "procurement" })
        {
            components.Add(new ComponentDefinition($"{app}-outbox", "state.redis", "v1", Metadata(
                ("outboxPublishPubsub", "pubsub"), ("outboxPublishTopic", $"{app}.events"), ("outboxPubsub", "outbox-pubsub"), ("outboxDiscardWhenMissingState", "true")), [app], "outbox.yaml"));
        }

        return components;
    }

    // An app's sidecar gets a DAPR_API_TOKEN and an APP_API_TOKEN of its own, as mesh run gives them; a client's sidecar
    // (a test calling the mesh) runs without tokens, as daprd without the variables.
    private static MeshApp Declare(TestApp app, IReadOnlyList<ComponentDefinition> components, ResiliencySpec resiliency) =>
        app.Start is null
            ? MeshApp.Create(app.AppId, 0, app.Protocol, components, resiliency)
            : MeshApp.Create(app.AppId, LoopbackPorts.Free(), app.Protocol, components, resiliency) with { Tokens = new(ApiTokens.NewToken(), ApiTokens.NewToken()) };

    private Dictionary<string, string?> Configuration(string appId) =>
        Host.EnvironmentFor(appId).ToDictionary(variable => variable.Key, variable => (string?)variable.Value);

    // Its port was picked free, but another process can take it before the app binds it: the app then moves.
    private async Task StartAppAsync(TestApp app)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                running[app.AppId] = await app.Start!(Host.Directory.Find(app.AppId)!.Port, Configuration(app.AppId));
                break;
            }
            catch (IOException) when (attempt < PortAttempts)
            {
                var moved = Host.Apps.Single(a => a.AppId == app.AppId).OnPort(LoopbackPorts.Free());
                await Host.AddAsync(moved);
            }
        }

        started.Add(app.AppId);
        if (!await Host.StartDeliveriesWhenReadyAsync(app.AppId, ReadyTimeout))
        {
            throw new TimeoutException($"app '{app.AppId}' did not answer on {AddressOf(app.AppId)} within {ReadyTimeout.TotalSeconds:0}s");
        }
    }
}
