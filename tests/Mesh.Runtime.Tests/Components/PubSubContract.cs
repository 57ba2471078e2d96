using System.Diagnostics;
using System.Text;
using Mesh.Runtime.Components;

namespace Mesh.Runtime.Tests.Components;

/// <summary>
/// What every Mesh pub/sub guarantees: consumer groups that start at the beginning of the topic, and
/// at-least-once delivery where a throwing handler or a stopped subscriber leaves the message to come again.
/// </summary>
public abstract class PubSubContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>A new pub/sub of the type under test that redelivers within a few seconds.</summary>
    protected abstract IPubSub CreatePubSub(params (string Name, string Value)[] metadata);

    [Fact]
    public async Task SubscribeAsync_AskingForMoreHandlersThanConfigured_RunsThatManyAtOnce()
    {
        await using var pubsub = CreatePubSub(("concurrency", "1"));

        var peak = await PeakHandlersAsync(pubsub, new TopicSubscribeRequest(TestComponents.Unique("orders"), "app", MinimumConcurrency: 4), expected: 4);

        Assert.Equal(4, peak);
    }

    /// <summary>
    /// The most handlers running at once over twice <paramref name="expected"/> messages: each handler holds on
    /// until <paramref name="expected"/> run together (or a while passes), so the peak shows the limit.
    /// </summary>
    protected static async Task<int> PeakHandlersAsync(IPubSub pubsub, TopicSubscribeRequest request, int expected)
    {
        var (running, most) = (0, 0);
        var allRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var deliveries = new Deliveries();
        await using var subscription = await pubsub.SubscribeAsync(
            request,
            deliveries.Handler(async (_, _) =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref most, now);
                if (now == expected)
                {
                    allRunning.TrySetResult();
                }

                await Task.WhenAny(allRunning.Task, Task.Delay(TimeSpan.FromSeconds(3)));
                Interlocked.Decrement(ref running);
            }),
            None);

        for (var i = 0; i < 2 * expected; i++)
        {
            await pubsub.PublishAsync(request.Topic, Encoding.UTF8.GetBytes($"m{i}"), new Dictionary<string, string>(), None);
        }

        for (var i = 0; i < 2 * expected; i++)
        {
            await deliveries.NextAsync();
        }

        return Volatile.Read(ref most);
    }

    [Fact]
    public async Task PublishAsync_WhileSubscribed_HandlerGetsBytesMetadataAndId()
    {
        await using var pubsub = CreatePubSub();
        var topic = TestComponents.Unique("orders");
        var deliveries = new Deliveries();
        await using var subscription = await pubsub.SubscribeAsync(topic, "app", deliveries.Handler(), None);
        byte[] data = [0, 1, 2, 255, .. "{\"id\":42}"u8];

        await pubsub.PublishAsync(topic, data, new Dictionary<string, string> { ["content-type"] = "application/cloudevents+json", ["x"] = "é" }, None);
        var message = await deliveries.NextAsync();

        Assert.Equal(data, message.Data.ToArray());
        Assert.Equal(topic, message.Topic);
        Assert.False(string.IsNullOrEmpty(message.Id));
        Assert.Equal(new Dictionary<string, string> { ["content-type"] = "application/cloudevents+json", ["x"] = "é" }, message.Metadata);
    }

    [Fact]
    public async Task SubscribeAsync_NewGroupAfterPublishing_GetsEarlierMessagesInOrder()
    {
        await using var pubsub = CreatePubSub(("concurrency", "1"));
        var topic = TestComponents.Unique("orders");
        for (var i = 0; i < 3; i++)
        {
            await pubsub.PublishAsync(topic, Encoding.UTF8.GetBytes($"m{i}"), new Dictionary<string, string>(), None);
        }

        var deliveries = new Deliveries();
        await using var subscription = await pubsub.SubscribeAsync(topic, "late-app", deliveries.Handler(), None);

        Assert.Equal(["m0", "m1", "m2"], [Text(await deliveries.NextAsync()), Text(await deliveries.NextAsync()), Text(await deliveries.NextAsync())]);
    }

    [Fact]
    public async Task Handler_Throws_MessageIsDeliveredAgainThenNotAfterSuccess()
    {
        await using var pubsub = CreatePubSub();
        var topic = TestComponents.Unique("orders");
        var attempts = 0;
        var deliveries = new Deliveries();
        await using var subscription = await pubsub.SubscribeAsync(
            topic,
            "app",
            deliveries.Handler((_, _) => Interlocked.Increment(ref attempts) == 1 ? throw new InvalidOperationException("app said RETRY") : Task.CompletedTask),
            None);

        await pubsub.PublishAsync(topic, "once"u8.ToArray(), new Dictionary<string, string>(), None);
        var first = await deliveries.NextAsync();
        var second = await deliveries.NextAsync();

        Assert.Equal(first.Id, second.Id);
        Assert.Equal("once", Text(second));
        // Real time: the contract runs on Redis too, whose idle clock decides redelivery (the in-memory component's exact
        // schedule is checked on a fake clock in InMemoryPubSubTests).
        Assert.True(await deliveries.NoneWithinAsync(TimeSpan.FromSeconds(3))); // longer than any redelivery delay of the implementations
    }

    [Fact]
    public async Task SubscribeAsync_AgainOnTheGroupAfterAFailedDelivery_GetsTheUnacknowledgedMessage()
    {
        await using var pubsub = CreatePubSub();
        var topic = TestComponents.Unique("orders");
        var refusing = new Deliveries();
        var first = await pubsub.SubscribeAsync(topic, "app", refusing.Handler((_, _) => throw new InvalidOperationException("crash")), None);
        await pubsub.PublishAsync(topic, "keep me"u8.ToArray(), new Dictionary<string, string>(), None);
        var refused = await refusing.NextAsync();
        await first.DisposeAsync();

        var accepting = new Deliveries();
        await using var second = await pubsub.SubscribeAsync(topic, "app", accepting.Handler(), None);
        var redelivered = await accepting.NextAsync();

        Assert.Equal(refused.Id, redelivered.Id);
        Assert.Equal("keep me", Text(redelivered));
    }

    [Fact]
    public async Task DisposeAsync_HandlerInFlight_CancelsItWaitsForItAndTheGroupGetsTheMessageAgain()
    {
        await using var pubsub = CreatePubSub();
        var topic = TestComponents.Unique("orders");
        var handlerEnded = false;
        var blocking = new Deliveries();
        var first = await pubsub.SubscribeAsync(
            topic,
            "app",
            blocking.Handler(async (_, cancellationToken) =>
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                finally
                {
                    await Task.Delay(200, CancellationToken.None);
                    handlerEnded = true;
                }
            }),
            None);
        await pubsub.PublishAsync(topic, "slow"u8.ToArray(), new Dictionary<string, string>(), None);
        var inFlight = await blocking.NextAsync();

        var stopwatch = Stopwatch.StartNew();
        await first.DisposeAsync();
        stopwatch.Stop();
        var accepting = new Deliveries();
        await using var second = await pubsub.SubscribeAsync(topic, "app", accepting.Handler(), None);

        Assert.True(handlerEnded);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10)); // the handler would otherwise wait forever
        Assert.Equal(inFlight.Id, (await accepting.NextAsync()).Id);
    }

    [Fact]
    public async Task PublishAsync_TwoGroups_EachGetsEveryMessage()
    {
        await using var pubsub = CreatePubSub();
        var topic = TestComponents.Unique("orders");
        var (billing, shipping) = (new Deliveries(), new Deliveries());
        await using var one = await pubsub.SubscribeAsync(topic, "billing", billing.Handler(), None);
        await using var two = await pubsub.SubscribeAsync(topic, "shipping", shipping.Handler(), None);

        await pubsub.PublishAsync(topic, "a"u8.ToArray(), new Dictionary<string, string>(), None);
        await pubsub.PublishAsync(topic, "b"u8.ToArray(), new Dictionary<string, string>(), None);

        Assert.Equal(["a", "b"], new[] { Text(await billing.NextAsync()), Text(await billing.NextAsync()) }.Order());
        Assert.Equal(["a", "b"], new[] { Text(await shipping.NextAsync()), Text(await shipping.NextAsync()) }.Order());
    }

    [Fact]
    public async Task PublishAsync_TwoSubscriptionsOfOneGroup_ShareTheMessagesWithoutDuplicates()
    {
        await using var pubsub = CreatePubSub();
        var topic = TestComponents.Unique("orders");
        var shared = new Deliveries();
        await using var one = await pubsub.SubscribeAsync(topic, "app", shared.Handler(), None);
        await using var two = await pubsub.SubscribeAsync(topic, "app", shared.Handler(), None);

        for (var i = 0; i < 20; i++)
        {
            await pubsub.PublishAsync(topic, Encoding.UTF8.GetBytes($"m{i}"), new Dictionary<string, string>(), None);
        }

        var received = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            received.Add(Text(await shared.NextAsync()));
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"m{i}").Order(), received.Order());
        Assert.True(await shared.NoneWithinAsync(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task DisposeAsync_Component_StopsSubscriptionsAndRefusesNewWork()
    {
        var pubsub = CreatePubSub();
        var topic = TestComponents.Unique("orders");
        var deliveries = new Deliveries();
        await pubsub.SubscribeAsync(topic, "app", deliveries.Handler(), None);

        await pubsub.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => pubsub.PublishAsync(topic, "late"u8.ToArray(), new Dictionary<string, string>(), None));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pubsub.SubscribeAsync(topic, "app", deliveries.Handler(), None));
    }

    protected static string Text(TopicMessage message) => Encoding.UTF8.GetString(message.Data.Span);

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
