using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar;
using Mesh.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>
/// A real redis-server, Dapr components over it, and sidecars for two apps: "orders" (the subscriber
/// app, HTTP) and "checkout" (a caller with no app of its own unless a test adds one).
/// </summary>
public sealed class SidecarTestbed : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> owned = [];

    public RedisServer Redis { get; private set; } = null!;

    public AppDirectory Directory { get; } = new();

    public IStateStore StateStore { get; private set; } = null!;

    public IPubSub PubSub { get; private set; } = null!;

    public DaprSidecar OrdersSidecar { get; private set; } = null!;

    public DaprSidecar CheckoutSidecar { get; private set; } = null!;

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
        StateStore = ComponentFactory.CreateStateStore(Component("statestore", "state.redis"));
        // Long enough that a loaded machine does not see a slow delivery claimed again; the tests that need a
        // redelivery wait for it, on real time: Redis decides which entries are idle long enough (DeliveryClockTests
        // check the sidecar's own timing on a fake clock).
        PubSub = ComponentFactory.CreatePubSub(Component("pubsub", "pubsub.redis", ("processingTimeout", "4s"), ("redeliverInterval", "500ms")));
        Directory.Register(new AppEndpoint("orders", "127.0.0.1", OrdersPort, "http"));
        Directory.Register(new AppEndpoint("checkout", "127.0.0.1", 0, "http"));
        OrdersSidecar = await StartSidecarAsync(Directory.Find("orders")!);
        CheckoutSidecar = await StartSidecarAsync(Directory.Find("checkout")!);
        Orders = await StartOrdersAsync();
        await OrdersSidecar.StartDeliveriesAsync(CancellationToken.None);
    }

    public async Task<SubscriberApp> StartOrdersAsync() =>
        Orders = await SubscriberApp.StartAsync(OrdersPort, OrdersSidecar.HttpPort, OrdersSidecar.GrpcPort, Recorder);

    public async Task<DaprSidecar> StartSidecarAsync(AppEndpoint app)
    {
        var components = new[] { Component("statestore", "state.redis"), Component("pubsub", "pubsub.redis") };
        var sidecar = await DaprSidecar.StartAsync(
            new SidecarSettings(app, 0, 0,
                new Dictionary<string, IStateStore> { ["statestore"] = StateStore },
                new Dictionary<string, IPubSub> { ["pubsub"] = PubSub },
                components, Resiliency, Directory),
            NullLoggerFactory.Instance,
            CancellationToken.None);
        owned.Add(sidecar);
        return sidecar;
    }

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
        owned.Add(new Disposer(client.Dispose));
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
        foreach (var item in Enumerable.Reverse(owned))
        {
            await item.DisposeAsync();
        }

        await PubSub.DisposeAsync();
        await StateStore.DisposeAsync();
        await Redis.DisposeAsync();
    }

    private sealed class Disposer(Action dispose) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            dispose();
            return ValueTask.CompletedTask;
        }
    }
}
