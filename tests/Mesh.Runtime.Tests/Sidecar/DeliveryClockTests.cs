using Mesh.Runtime.Hosting;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>
/// Delivery timing on the sidecar's clock, a fake one here: the inbound resiliency policy's retry interval and a bulk
/// subscription's maxAwaitDurationMs hold exactly. The pub/sub is pubsub.in-memory on the same clock (Redis would
/// judge redelivery on its own clock). Nothing waits on real time: a test moves the clock to just before a wait's end,
/// sees the wait still armed, moves it the last millisecond and reads when (on the fake clock) each delivery arrived.
/// </summary>
public sealed class DeliveryClockTests : IAsyncLifetime
{
    private readonly TestClock clock = new();
    private readonly Recorder recorder;
    private readonly int ordersPort = Mesh.Runtime.LoopbackPorts.Free();
    private MeshHost mesh = null!;
    private SubscriberApp orders = null!;

    public DeliveryClockTests() => recorder = new Recorder(clock);

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
        var afterEachWait = new List<(bool Fired, int Received)>();
        for (var retry = 1; retry <= 2; retry++)
        {
            // The policy's constant 100 ms: the wait is still armed a millisecond before it, the retry is sent at it.
            var wait = await clock.WaitForTimerAsync(TimeSpan.FromMilliseconds(100));
            clock.Advance(TimeSpan.FromMilliseconds(99));
            afterEachWait.Add((wait.Fired, recorder.Received("flaky").Count));
            clock.Advance(TimeSpan.FromMilliseconds(1));
            await recorder.WaitForAsync("flaky", retry + 1);
        }

        Assert.Equal([(false, 1), (false, 2)], afterEachWait);
        Assert.Equal(3, recorder.Received("flaky").Count);
        var arrivals = recorder.ArrivalTimes("flaky");
        Assert.Equal([TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100)], arrivals.Zip(arrivals.Skip(1), (a, b) => b - a));
    }

    [Fact]
    public async Task BulkSubscription_ABatchClosesExactlyAtMaxAwaitDuration()
    {
        var published = clock.GetUtcNow();
        await Publish("bulk-orders", """{"id":"b-1","quantity":1}""");

        // One entry of a batch of up to 10: it waits the subscription's 200 ms for more.
        var wait = await clock.WaitForTimerAsync(TimeSpan.FromMilliseconds(200));
        clock.Advance(TimeSpan.FromMilliseconds(199));
        var (firedBefore, sentBefore) = (wait.Fired, recorder.Received("bulk-orders").Count);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var batch = (await recorder.WaitForAsync("bulk-orders", 1)).Single();

        Assert.Equal((false, 0), (firedBefore, sentBefore));
        Assert.Equal(published + TimeSpan.FromMilliseconds(200), Assert.Single(recorder.ArrivalTimes("bulk-orders")));
        Assert.Equal("b-1", batch["entries"]!.AsArray().Single()!["event"]!["data"]!["id"]!.GetValue<string>());
    }

    private Task Publish(string topic, string json) =>
        orders.Dapr.PublishEventAsync("pubsub", topic, System.Text.Json.JsonDocument.Parse(json).RootElement);
}
