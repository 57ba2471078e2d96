using System.Text.Json.Nodes;
using Mesh.Runtime.Components;
using Mesh.Runtime.Hosting;
using Mesh.Runtime.Sidecar;
using Mesh.Testing;
using StackExchange.Redis;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>
/// A real redis-server and a mesh of app "shop" (its sidecar) with two state stores on it: "statestore", and "shop-outbox",
/// whose transactions publish to topic "shop.events" of "pubsub" through Dapr's outbox (discarding the internal
/// messages of transactions that never committed).
/// </summary>
public sealed class OutboxTestbed : IAsyncLifetime
{
    /// <summary>The outbox-enabled store.</summary>
    public const string OutboxStore = "shop-outbox";

    /// <summary>The topic its transactions publish to.</summary>
    public const string Topic = "shop.events";

    public RedisServer Redis { get; private set; } = null!;

    public MeshHost Host { get; private set; } = null!;

    public DaprSidecar Sidecar => Host.SidecarOf("shop");

    public Dapr.Client.DaprClient Client { get; private set; } = null!;

    public ConnectionMultiplexer Connection { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = await RedisServer.StartAsync();
        Connection = await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        Host = await MeshHost.StartAsync([MeshApp.Create("shop", 0, "http", Components(Redis.ConnectionString))]);
        Client = new Dapr.Client.DaprClientBuilder().UseGrpcEndpoint($"http://127.0.0.1:{Sidecar.GrpcPort}").Build();
    }

    /// <summary>The components of the testbed, on the Redis at <paramref name="redisHost"/>.</summary>
    public static ComponentDefinition[] Components(string redisHost) =>
    [
        Component("statestore", "state.redis", [], ("redisHost", redisHost)),
        Component(OutboxStore, "state.redis", ["shop"], ("redisHost", redisHost), ("outboxPublishPubsub", "pubsub"), ("outboxPublishTopic", Topic), ("outboxDiscardWhenMissingState", "true")),
        // Longer than the relay takes to give up on a transaction that did not commit (1 s, then up to 10 s of reads):
        // the component cancels a handler after processingTimeout, which would leave such a message pending forever.
        Component("pubsub", "pubsub.redis", [], ("redisHost", redisHost), ("processingTimeout", "15s"), ("redeliverInterval", "500ms")),
    ];

    /// <summary>The CloudEvents on the topic's stream so far, oldest first.</summary>
    public async Task<List<JsonObject>> EventsAsync(string topic = Topic) =>
        [.. (await Connection.GetDatabase().StreamRangeAsync(topic)).Select(e => (JsonObject)JsonNode.Parse((string)e["data"]!)!)];

    /// <summary>Waits until <paramref name="condition"/> holds of the topic's events, and returns them.</summary>
    public async Task<List<JsonObject>> WaitForEventsAsync(Func<List<JsonObject>, bool> condition, string topic = Topic)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var events = await EventsAsync(topic);
            if (condition(events))
            {
                return events;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{topic} holds {events.Count} events, not what the test waits for");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the relay of "shop" has acknowledged every internal message of the outbox.</summary>
    public async Task WaitUntilRelayedAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await Connection.GetDatabase().StreamPendingAsync($"shop{Topic}outbox", "shop")).PendingMessageCount > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the outbox relay kept internal messages pending");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The outbox markers in Redis now.</summary>
    public List<string> Markers() =>
        [.. Connection.GetServers()[0].Keys(pattern: "outbox-*").Select(k => (string)k!)];

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();

        await Connection.DisposeAsync();
        await Redis.DisposeAsync();
    }

    private static ComponentDefinition Component(string name, string type, string[] scopes, params (string Key, string Value)[] metadata) =>
        new(name, type, "v1", metadata.ToDictionary(m => m.Key, m => m.Value, StringComparer.OrdinalIgnoreCase), scopes, $"{name}.yaml");
}
