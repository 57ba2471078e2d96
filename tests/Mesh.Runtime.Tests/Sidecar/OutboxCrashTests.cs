using System.Text;
using System.Text.Json.Nodes;
using Dapr.Client;
using Mesh.Testing;
using StackExchange.Redis;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>
/// <c>mesh run</c> as a child process, killed with SIGKILL after a transaction on an outbox store committed and before
/// its relay published the event: the next <c>mesh run</c> publishes it, from the marker and the internal message left
/// in Redis.
/// </summary>
public sealed class OutboxCrashTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("mesh-outbox-").FullName;
    private readonly int grpcPort = LoopbackPorts.Free();
    private RedisServer redis = null!;
    private ConnectionMultiplexer connection = null!;

    // The sidecar's DAPR_API_TOKEN, given in the run file as the Dapr CLI would pass it.
    private const string ApiToken = "crash-test-token";

    public async Task InitializeAsync()
    {
        redis = await RedisServer.StartAsync(appendOnly: true);
        connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await File.WriteAllTextAsync(Path.Combine(folder, "dapr.yaml"), $"""
            version: 1
            apps:
              - appID: shop
                appDirPath: .
                daprGRPCPort: {grpcPort}
                resourcesPaths: [./components]
                command: ["/bin/sh", "-c", "while :; do sleep 1; done"]
                env:
                  DAPR_API_TOKEN: {ApiToken}
            """);
    }

    // The outbox store publishes to pub/sub "events" at eventsHost; its internal topic is on "pubsub", on the test's Redis.
    private async Task WriteComponentsAsync(string eventsHost)
    {
        var components = Directory.CreateDirectory(Path.Combine(folder, "components")).FullName;
        await File.WriteAllTextAsync(Path.Combine(components, "components.yaml"), $"""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: {OutboxTestbed.OutboxStore}
            spec:
              type: state.redis
              version: v1
              metadata:
                - name: redisHost
                  value: {redis.ConnectionString}
                - name: outboxPublishPubsub
                  value: events
                - name: outboxPublishTopic
                  value: {OutboxTestbed.Topic}
                - name: outboxPubsub
                  value: pubsub
            ---
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: pubsub
            spec:
              type: pubsub.redis
              version: v1
              metadata:
                - name: redisHost
                  value: {redis.ConnectionString}
                - name: processingTimeout
                  value: 15s
                - name: redeliverInterval
                  value: 500ms
            ---
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: events
            spec:
              type: pubsub.redis
              version: v1
              metadata:
                - name: redisHost
                  value: {eventsHost}
                - name: dialTimeout
                  value: 1s
            """);
    }

    public async Task DisposeAsync()
    {
        await connection.DisposeAsync();
        await redis.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task RuntimeKilledAfterTheCommit_BeforeTheRelay_TheNextRunPublishesTheEventOnce()
    {
        // In the first run the event pub/sub is unreachable (TEST-NET-1), so its relay cannot publish: the kill is
        // certain to land between the commit and the publish.
        await WriteComponentsAsync("192.0.2.1:6379");
        using var client = new DaprClientBuilder().UseGrpcEndpoint($"http://127.0.0.1:{grpcPort}").UseDaprApiToken(ApiToken).Build();
        var first = Cli.MeshProcess.Start(folder);
        await RetryAsync(() => client.GetStateAsync<string>(OutboxTestbed.OutboxStore, "warm-up"));

        await client.ExecuteStateTransactionAsync(OutboxTestbed.OutboxStore,
        [
            new StateTransactionRequest("order-1", Encoding.UTF8.GetBytes("""{"order":"order-1"}"""), StateOperationType.Upsert,
                metadata: new Dictionary<string, string> { ["outbox.projection"] = "true", ["contentType"] = "application/json" }),
            new StateTransactionRequest("order-1", Encoding.UTF8.GetBytes("""{"order":"order-1","lines":2}"""), StateOperationType.Upsert,
                metadata: new Dictionary<string, string> { ["type"] = "shop.v1.OrderPlaced" }),
        ]);
        first.Kill(entireProcessTree: true);
        await first.WaitForExitAsync();
        var markersAfterKill = Markers();
        var eventsAfterKill = await EventsAsync();

        await WriteComponentsAsync(redis.ConnectionString);
        using var second = Cli.MeshProcess.Start(folder);
        var published = await WaitForAsync(async () => await EventsAsync() is { Count: > 0 } events ? events : null);
        await WaitForAsync(() => Task.FromResult(Markers().Count == 0 ? "gone" : null));
        second.Kill(entireProcessTree: true);
        await second.WaitForExitAsync();

        Assert.Single(markersAfterKill);
        Assert.Empty(eventsAfterKill);
        // At least once; a copy would carry the same id (the marker key), so consumers see one event.
        var placed = Assert.Single(published.DistinctBy(e => e["id"]!.GetValue<string>()));
        Assert.Equal(markersAfterKill[0], placed["id"]!.GetValue<string>());
        Assert.Equal(("shop.v1.OrderPlaced", "order-1"), (placed["type"]!.GetValue<string>(), placed["data"]!["order"]!.GetValue<string>()));
        first.Dispose();
    }

    private List<string> Markers() => [.. connection.GetServers()[0].Keys(pattern: "outbox-*").Select(k => (string)k!)];

    private async Task<List<JsonObject>> EventsAsync() =>
        [.. (await connection.GetDatabase().StreamRangeAsync(OutboxTestbed.Topic)).Select(e => (JsonObject)JsonNode.Parse((string)e["data"]!)!)];

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe)
        where T : class
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the restarted runtime did not relay the outbox message");
            }

            await Task.Delay(100);
        }
    }

    // The sidecar of a freshly started mesh takes a moment to listen.
    private static async Task RetryAsync(Func<Task> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await call();
                return;
            }
            catch (Exception e) when (attempt < 150 && e is Dapr.DaprException or Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Unavailable })
            {
                await Task.Delay(200);
            }
        }
    }
}
