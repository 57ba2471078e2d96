using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Hosting;
using Mesh.Runtime.Sidecar;
using Mesh.Testing;
using StackExchange.Redis;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>
/// A real redis-server, Dapr components over it, and a mesh (<see cref="MeshHost"/>) of two apps: "orders" (the
/// subscriber app, HTTP) and "checkout" (a caller with no app of its own unless a test adds one).
/// </summary>
public sealed class SidecarTestbed : IAsyncLifetime
{
    private ComponentDefinition[] components = [];

    public RedisServer Redis { get; private set; } = null!;

    public MeshHost Host { get; private set; } = null!;

    public AppDirectory Directory => Host.Directory;

    public DaprSidecar OrdersSidecar => Host.SidecarOf("orders");

    public DaprSidecar CheckoutSidecar => Host.SidecarOf("checkout");

    public SubscriberApp Orders { get; private set; } = null!;

    public int OrdersPort { get; } = Mesh.Runtime.LoopbackPorts.Free();

    public Recorder Recorder { get; } = new();

    public static ResiliencySpec Resiliency { get; } = new(
        new Dictionary<string, TargetPolicies>
        {
            ["pubsub"] = new(new RetryPolicy("deliveryRetry", Exponential: false, TimeSpan.FromMilliseconds(100), TimeSpan.Zero, MaxRetries: 2), TimeSpan.FromSeconds(30)),
        },
        new Dictionary<string, TargetPolicies>(),
        new Dictionary<string, TargetPolicies>());

    public async Task InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        // Long enough that a loaded machine does not see a slow delivery claimed again; the tests that need a
        // redelivery wait for it, on real time: Redis decides which entries are idle long enough (DeliveryClockTests
        // check the sidecar's own timing on a fake clock).
        components = [Component("statestore", "state.redis"), Component("pubsub", "pubsub.redis", ("processingTimeout", "4s"), ("redeliverInterval", "500ms"))];
        Host = await MeshHost.StartAsync([App("orders", OrdersPort, "http"), App("checkout", 0, "http")]);
        Orders = await StartOrdersAsync();
        await Host.StartDeliveriesWhenReadyAsync("orders", TimeSpan.FromSeconds(30));
    }

    public async Task<SubscriberApp> StartOrdersAsync() =>
        Orders = await SubscriberApp.StartAsync(OrdersPort, OrdersSidecar.HttpPort, OrdersSidecar.GrpcPort, Recorder);

    /// <summary>Adds an app to the mesh (it registers in the directory) and starts its sidecar.</summary>
    public Task<DaprSidecar> StartSidecarAsync(AppEndpoint app) => Host.AddAsync(App(app.AppId, app.Port, app.Protocol));

    /// <summary>
    /// Waits until <paramref name="group"/> has nothing pending on <paramref name="topic"/>: every entry it read was
    /// acknowledged, so none comes back. Call it once the deliveries under test have been seen.
    /// </summary>
    public async Task WaitUntilAcknowledgedAsync(string topic, string group = "orders")
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        long pending;
        while ((pending = (await redis.GetDatabase().StreamPendingAsync(topic, group)).PendingMessageCount) > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{pending} entries of '{topic}' are still pending for group '{group}'");
            }

            await Task.Delay(50);
        }
    }

    public Dapr.Client.DaprClient ClientFor(DaprSidecar sidecar)
    {
        var client = new Dapr.Client.DaprClientBuilder()
            .UseGrpcEndpoint($"http://127.0.0.1:{sidecar.GrpcPort}")
            .UseHttpEndpoint($"http://127.0.0.1:{sidecar.HttpPort}")
            .Build();
        Host.Own(new Disposer(client.Dispose));
        return client;
    }

    public ComponentDefinition Component(string name, string type, params (string Key, string Value)[] extra)
    {
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["redisHost"] = Redis.ConnectionString };
        foreach (var (key, value) in extra)
        {
            metadata[key] = value;
        }

        return new ComponentDefinition(name, type, "v1", metadata, [], $"{name}.yaml");
    }

    public async Task DisposeAsync()
    {
        await Orders.DisposeAsync();
        await Host.DisposeAsync();
        await Redis.DisposeAsync();
    }

    private MeshApp App(string appId, int port, string protocol) => MeshApp.Create(appId, port, protocol, components, Resiliency);

    private sealed class Disposer(Action dispose) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            dispose();
            return ValueTask.CompletedTask;
        }
    }
}
