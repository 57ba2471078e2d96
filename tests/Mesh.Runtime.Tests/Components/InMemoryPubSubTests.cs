using Mesh.Runtime.Components;

namespace Mesh.Runtime.Tests.Components;

public sealed class InMemoryPubSubTests : PubSubContract
{
    [Fact]
    public async Task Handler_Throws_MessageComesBackExactlyAfterRedeliverInterval()
    {
        var clock = new TestClock();
        await using var pubsub = ComponentFactory.CreatePubSub(TestComponents.Define("pubsub", "pubsub.in-memory", ("redeliverInterval", "700ms")), time: clock);
        var topic = TestComponents.Unique("orders");
        var deliveries = new Deliveries();
        var attempts = 0;
        await using var subscription = await pubsub.SubscribeAsync(
            topic,
            "app",
            deliveries.Handler((_, _) => Interlocked.Increment(ref attempts) == 1 ? throw new InvalidOperationException("retry") : Task.CompletedTask),
            CancellationToken.None);

        await pubsub.PublishAsync(topic, "x"u8.ToArray(), new Dictionary<string, string>(), CancellationToken.None);
        var first = await deliveries.NextAsync();
        // The failed message is back in the group, due in 700 ms: the subscription now waits exactly that long, still
        // armed a millisecond before.
        var wait = await clock.WaitForTimerAsync(TimeSpan.FromMilliseconds(700));
        clock.Advance(TimeSpan.FromMilliseconds(699));
        var justBefore = (wait.Fired, deliveries.HasUnread);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var again = await deliveries.NextAsync();

        Assert.Equal((false, false), justBefore);
        Assert.True(wait.Fired);
        Assert.Equal((first.Id, 2), (again.Id, attempts));
    }

    protected override IPubSub CreatePubSub(params (string Name, string Value)[] metadata) =>
        ComponentFactory.CreatePubSub(TestComponents.Define("pubsub", "pubsub.in-memory", [("redeliverInterval", "200ms"), .. metadata]));
}
