using Mesh.Runtime.Hosting;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>
/// Delivery timing on the sidecar's clock, a fake one here: the inbound resiliency policy's retry interval and a bulk
/// subscription's maxAwaitDurationMs hold exactly. The pub/sub is pubsub.in-memory on the same clock (Redis would
/// judge redelivery on its own clock).
/// </summary>
public sealed class DeliveryClockTests : IAsyncLifetime
{
    private readonly TestClock clock = new();
    private readonly Recorder recorder = new();
    private readonly int ordersPort = Mesh.Runtime.LoopbackPorts.Free();
    private MeshHost mesh = null!;
    private SubscriberApp orders = null!;

    public async Task InitializeAsync()
    {
        var definition = Components.TestComponents.Define("pubsub", "pubsub.in-memory");
        mesh = await MeshHost.StartAsync([MeshApp.Create("orders", ordersPort, "http", [definition], SidecarTestbed.Resiliency)], new MeshHostOptions { Clock = clock });
        var sidecar = mesh.SidecarOf("orders");
        orders = await SubscriberApp.StartAsync(ordersPort, sidecar.HttpPort, sidecar.GrpcPort, recorder);
        await mesh.StartDeliveriesWhenReadyAsync("orders", TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        await orders.DisposeAsync();
        await mesh.DisposeAsync();
    }

    [Fact]
    public async Task RetryPolicy_EachRetryWaitsExactlyItsInterval()
    {
        recorder.Script("flaky", (500, ""), (503, ""));

        await Publish("flaky", """{"id":"ord-r","quantity":1}""");
        await recorder.WaitForAsync("flaky", 1);
        var afterEachWait = new List<int>();
        for (var retry = 1; retry <= 2; retry++)
        {
            // The policy's constant 100 ms: nothing is sent a millisecond before it, the retry is sent at it.
            await clock.WaitForTimerAsync(TimeSpan.FromMilliseconds(100));
            clock.Advance(TimeSpan.FromMilliseconds(99));
            await Task.Delay(200);
            afterEachWait.Add(recorder.Received("flaky").Count);
            clock.Advance(TimeSpan.FromMilliseconds(1));
            await recorder.WaitForAsync("flaky", retry + 1);
        }

        Assert.Equal([1, 2], afterEachWait);
        Assert.Equal(3, recorder.Received("flaky").Count);
    }

    [Fact]
    public async Task BulkSubscription_ABatchClosesExactlyAtMaxAwaitDuration()
    {
        await Publish("bulk-orders", """{"id":"b-1","quantity":1}""");

        // One entry of a batch of up to 10: it waits the subscription's 200 ms for more.
        await clock.WaitForTimerAsync(TimeSpan.FromMilliseconds(200));
        clock.Advance(TimeSpan.FromMilliseconds(199));
        await Task.Delay(200);
        var sentBefore = recorder.Received("bulk-orders").Count;
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var batch = (await recorder.WaitForAsync("bulk-orders", 1)).Single();

        Assert.Equal(0, sentBefore);
        Assert.Equal("b-1", batch["entries"]!.AsArray().Single()!["event"]!["data"]!["id"]!.GetValue<string>());
    }

    private Task Publish(string topic, string json) =>
        orders.Dapr.PublishEventAsync("pubsub", topic, System.Text.Json.JsonDocument.Parse(json).RootElement);
}
