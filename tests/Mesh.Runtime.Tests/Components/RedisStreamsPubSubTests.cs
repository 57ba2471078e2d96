using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Mesh.Runtime.Components;
using StackExchange.Redis;

namespace Mesh.Runtime.Tests.Components;

public sealed class RedisStreamsPubSubTests(RedisFixture redis) : PubSubContract, IClassFixture<RedisFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task PublishAsync_Message_IsAStreamEntryLaidOutAsDapr()
    {
        await using var pubsub = CreatePubSub();
        var topic = TestComponents.Unique("orders");

        await pubsub.PublishAsync(topic, "{\"id\":1}"u8.ToArray(), new Dictionary<string, string> { ["traceparent"] = "00-abc-def-01" }, None);
        var entries = await redis.Database.StreamRangeAsync(topic);

        var entry = Assert.Single(entries);
        Assert.Equal(["data", "metadata"], entry.Values.Select(v => v.Name.ToString()));
        Assert.Equal("{\"id\":1}", entry["data"].ToString());
        Assert.Equal(
            new Dictionary<string, string> { ["traceparent"] = "00-abc-def-01" },
            JsonSerializer.Deserialize<Dictionary<string, string>>(entry["metadata"].ToString()));
    }

    [Fact]
    public async Task SubscribeAsync_Group_IsNamedAfterTheGroupIdAndSoIsItsConsumer()
    {
        await using var pubsub = CreatePubSub();
        var topic = TestComponents.Unique("orders");
        var deliveries = new Deliveries();
        await using var subscription = await pubsub.SubscribeAsync(topic, "checkout", deliveries.Handler(), None);

        await pubsub.PublishAsync(topic, "x"u8.ToArray(), new Dictionary<string, string>(), None);
        await deliveries.NextAsync();
        var group = Assert.Single(await redis.Database.StreamGroupInfoAsync(topic));
        var consumers = await redis.Database.StreamConsumerInfoAsync(topic, "checkout");

        Assert.Equal("checkout", group.Name);
        Assert.Equal(["checkout"], consumers.Select(c => c.Name));
    }

    [Fact]
    public async Task SubscribeAsync_EntryAddedByDaprWithoutMetadata_IsDeliveredWithEmptyMetadata()
    {
        await using var pubsub = CreatePubSub();
        var topic = TestComponents.Unique("orders");
        await redis.Database.StreamAddAsync(topic, "data", "raw");
        var deliveries = new Deliveries();

        await using var subscription = await pubsub.SubscribeAsync(topic, "app", deliveries.Handler(), None);
        var message = await deliveries.NextAsync();

        Assert.Equal("raw", Text(message));
        Assert.Empty(message.Metadata);
    }

    // Real time on purpose: which entries are idle for processingTimeout is XPENDING's IDLE filter, on Redis's own clock.
    [Fact]
    public async Task Handler_Throws_EntryStaysPendingAndReturnsNoSoonerThanProcessingTimeout()
    {
        await using var pubsub = CreatePubSub(("processingTimeout", "1500ms"), ("redeliverInterval", "100"));
        var topic = TestComponents.Unique("orders");
        var deliveries = new Deliveries();
        var attempts = 0;
        await using var subscription = await pubsub.SubscribeAsync(
            topic,
            "app",
            deliveries.Handler((_, _) => Interlocked.Increment(ref attempts) == 1 ? throw new InvalidOperationException("retry") : Task.CompletedTask),
            None);

        // Timed from the publish, which precedes the read: a late look at the first delivery cannot shorten it.
        var sincePublish = Stopwatch.StartNew();
        await pubsub.PublishAsync(topic, "x"u8.ToArray(), new Dictionary<string, string>(), None);
        await deliveries.NextAsync();
        await Task.Delay(300);
        var pendingAfterFailure = (await redis.Database.StreamPendingAsync(topic, "app")).PendingMessageCount;
        await deliveries.NextAsync();
        var redeliveredAfter = sincePublish.Elapsed;

        Assert.Equal(1, pendingAfterFailure);
        Assert.InRange(redeliveredAfter, TimeSpan.FromMilliseconds(1450), TimeSpan.FromSeconds(10)); // Redis counts idle time on its own millisecond clock
        await WaitUntilNothingPendingAsync(topic); // acknowledged after the success (asynchronously, in a batch)
    }

    [Fact]
    public async Task HandledEntries_AreAcknowledgedInBatches_AndNoneIsLeftPendingWhenTheSubscriptionStops()
    {
        await using var pubsub = CreatePubSub();
        var topic = TestComponents.Unique("orders");
        var deliveries = new Deliveries();
        var subscription = await pubsub.SubscribeAsync(topic, "app", deliveries.Handler(), None);
        for (var i = 0; i < 200; i++)
        {
            await pubsub.PublishAsync(topic, System.Text.Encoding.UTF8.GetBytes($"order-{i}"), new Dictionary<string, string>(), None);
        }

        for (var i = 0; i < 200; i++)
        {
            await deliveries.NextAsync();
        }

        // Stopping right after the last handler returns: acknowledgements still queued are sent before it goes.
        await subscription.DisposeAsync();
        var pending = (await redis.Database.StreamPendingAsync(topic, "app")).PendingMessageCount;

        Assert.Equal(0, pending);
    }

    [Fact]
    public async Task Handler_ThrowsWithRedeliveryDisabled_EntryIsNotDeliveredAgain()
    {
        await using var pubsub = CreatePubSub(("redeliverInterval", "0"));
        var topic = TestComponents.Unique("orders");
        var deliveries = new Deliveries();
        await using var subscription = await pubsub.SubscribeAsync(topic, "app", deliveries.Handler((_, _) => throw new InvalidOperationException("retry")), None);

        await pubsub.PublishAsync(topic, "x"u8.ToArray(), new Dictionary<string, string>(), None);
        await deliveries.NextAsync();

        Assert.True(await deliveries.NoneWithinAsync(TimeSpan.FromSeconds(1.5)));
        Assert.Equal(1, (await redis.Database.StreamPendingAsync(topic, "app")).PendingMessageCount);
    }

    [Fact]
    public async Task PublishAsync_MaxLenApprox_TrimsTheStream()
    {
        await using var trimmed = CreatePubSub(("maxLenApprox", "10"));
        await using var untrimmed = CreatePubSub();
        var (short_, long_) = (TestComponents.Unique("trimmed"), TestComponents.Unique("untrimmed"));

        for (var i = 0; i < 500; i++)
        {
            await trimmed.PublishAsync(short_, "x"u8.ToArray(), new Dictionary<string, string>(), None);
            await untrimmed.PublishAsync(long_, "x"u8.ToArray(), new Dictionary<string, string>(), None);
        }

        // "~" trims whole stream nodes (100 entries each by default), so a little more than 10 may remain.
        Assert.InRange(await redis.Database.StreamLengthAsync(short_), 10, 200);
        Assert.Equal(500, await redis.Database.StreamLengthAsync(long_));
    }

    [Fact]
    public async Task SubscribeAsync_ConcurrencyTwo_RunsTwoHandlersAtOnce()
    {
        await using var pubsub = CreatePubSub(("concurrency", "2"));

        var peak = await PeakHandlersAsync(pubsub, new TopicSubscribeRequest(TestComponents.Unique("orders"), "app"), expected: 2);

        Assert.Equal(2, peak);
    }

    [Fact]
    public async Task SubscribeAsync_StreamDeletedUnderneath_RecreatesTheGroupAndKeepsDelivering()
    {
        await using var pubsub = CreatePubSub();
        var topic = TestComponents.Unique("orders");
        var deliveries = new Deliveries();
        await using var subscription = await pubsub.SubscribeAsync(topic, "app", deliveries.Handler(), None);

        await redis.Database.KeyDeleteAsync(topic);
        await Task.Delay(300);
        await pubsub.PublishAsync(topic, "after"u8.ToArray(), new Dictionary<string, string>(), None);

        Assert.Equal("after", Text(await deliveries.NextAsync()));
    }

    [Fact]
    public async Task DisposeAsync_WhileAReadIsBlocked_ReturnsWithoutWaitingOutTheBlock()
    {
        await using var pubsub = CreatePubSub(("readTimeout", "30s"));
        var topic = TestComponents.Unique("orders");
        var subscription = await pubsub.SubscribeAsync(topic, "app", new Deliveries().Handler(), None);
        await Task.Delay(500);
        var clients = await redis.Connection.GetServer(redis.Server.ConnectionString).ClientListAsync();
        var blocked = clients.Count(c => c.LastCommand == "xreadgroup");

        var stopwatch = Stopwatch.StartNew();
        await subscription.DisposeAsync();
        stopwatch.Stop();

        Assert.Equal(1, blocked);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10)); // far below the 30 s BLOCK it would otherwise wait out
    }

    private async Task WaitUntilNothingPendingAsync(string topic)
    {
        var deadline = Stopwatch.StartNew();
        while ((await redis.Database.StreamPendingAsync(topic, "app")).PendingMessageCount > 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), $"entries of {topic} are still pending after 10 s");
            await Task.Delay(50);
        }
    }

    // processingTimeout long enough that a loaded machine does not see a slow handler's entry claimed again.
    protected override IPubSub CreatePubSub(params (string Name, string Value)[] metadata) =>
        ComponentFactory.CreatePubSub(TestComponents.Define(
            "pubsub",
            "pubsub.redis",
            [("redisHost", redis.Server.ConnectionString), ("processingTimeout", "2s"), ("redeliverInterval", "300ms"), ("readTimeout", "1s"), .. metadata]));
}
