using Mesh.Runtime.Components;

namespace Mesh.Runtime.Tests.Components;

public sealed class InMemoryPubSubTests : PubSubContract
{
    [Fact]
    public async Task Handler_Throws_MessageComesBackAfterRedeliverInterval()
    {
        await using var pubsub = CreatePubSub(("redeliverInterval", "700ms"));
        var topic = TestComponents.Unique("orders");
        var deliveries = new Deliveries();
        var attempts = 0;
        await using var subscription = await pubsub.SubscribeAsync(
            topic,
            "app",
            deliveries.Handler((_, _) => Interlocked.Increment(ref attempts) == 1 ? throw new InvalidOperationException("retry") : Task.CompletedTask),
            CancellationToken.None);

        // Timed from the publish, which precedes the failure: a late look at the first delivery cannot shorten it.
        var sincePublish = System.Diagnostics.Stopwatch.StartNew();
        await pubsub.PublishAsync(topic, "x"u8.ToArray(), new Dictionary<string, string>(), CancellationToken.None);
        await deliveries.NextAsync();
        await deliveries.NextAsync();

        // The component schedules with Environment.TickCount64, which is coarse (a few ms on Linux): allow for it.
        Assert.InRange(sincePublish.Elapsed, TimeSpan.FromMilliseconds(650), TimeSpan.FromSeconds(10));
    }

    protected override IPubSub CreatePubSub(params (string Name, string Value)[] metadata) =>
        ComponentFactory.CreatePubSub(TestComponents.Define("pubsub", "pubsub.in-memory", [("redeliverInterval", "200ms"), .. metadata]));
}
