using System.Text.Json.Nodes;
using Dapr.Client;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>Publish with the stock DaprClient; delivery to an idiomatic Dapr.AspNetCore subscriber.</summary>
public sealed class PubSubThroughSidecarTests(SidecarTestbed testbed) : IClassFixture<SidecarTestbed>
{
    [Fact]
    public async Task Publish_SubscriberReceivesTypedData()
    {
        var publisher = testbed.ClientFor(testbed.CheckoutSidecar);

        await publisher.PublishEventAsync("pubsub", "orders", new Order("ord-1", 5));

        await WaitForOrderAsync("ord-1");
        var received = testbed.Recorder.Received("orders").Single(o => o["id"]!.GetValue<string>() == "ord-1"); // other tests publish orders too
        Assert.Equal(5, received["quantity"]!.GetValue<int>());
    }

    [Fact]
    public async Task Publish_EnvelopeHasTheAttributesDaprdSets()
    {
        var publisher = testbed.ClientFor(testbed.CheckoutSidecar);

        await publisher.PublishEventAsync("pubsub", "envelopes", new Order("ord-2", 1));

        var inner = (await testbed.Recorder.WaitForAsync("envelopes", 1))[0].AsObject();
        Assert.Equal("1.0", inner["specversion"]!.GetValue<string>());
        Assert.Equal("checkout", inner["source"]!.GetValue<string>());
        Assert.Equal("com.dapr.event.sent", inner["type"]!.GetValue<string>());
        Assert.Equal("application/json", inner["datacontenttype"]!.GetValue<string>());
        Assert.Equal("envelopes", inner["topic"]!.GetValue<string>());
        Assert.Equal("pubsub", inner["pubsubname"]!.GetValue<string>());
        Assert.True(Guid.TryParse(inner["id"]!.GetValue<string>(), out _));
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", inner["traceparent"]!.GetValue<string>());
        Assert.Equal("ord-2", inner["data"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task HttpBulkPublish_EveryEntryArrives_AndAMalformedRequestPublishesNothing()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{testbed.CheckoutSidecar.HttpPort}") };
        const string Path = "/v1.0-alpha1/publish/bulk/pubsub/orders";

        var published = await http.PostAsync(Path, Json("""
            [{"entryId":"1","event":{"id":"hb-1","quantity":1},"contentType":"application/json"},
             {"entryId":"2","event":{"id":"hb-2","quantity":2},"contentType":"application/json","metadata":{"cloudevent.type":"order.placed"}}]
            """));
        var duplicateIds = await http.PostAsync(Path, Json("""
            [{"entryId":"1","event":{"id":"hb-3","quantity":3},"contentType":"application/json"},
             {"entryId":"1","event":{"id":"hb-4","quantity":4},"contentType":"application/json"}]
            """));
        var unknownPubsub = await http.PostAsync("/v1.0-alpha1/publish/bulk/nosuch/orders", Json("[]"));

        Assert.Equal(System.Net.HttpStatusCode.NoContent, published.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, duplicateIds.StatusCode);
        Assert.Contains("entryId 1 is not unique", await duplicateIds.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, unknownPubsub.StatusCode);
        await WaitForOrderAsync("hb-1");
        await WaitForOrderAsync("hb-2");
        await testbed.WaitUntilAcknowledgedAsync("orders");
        var ids = testbed.Recorder.Received("orders").Select(o => o["id"]!.GetValue<string>()).Where(id => id.StartsWith("hb-", StringComparison.Ordinal));
        Assert.Equal(["hb-1", "hb-2"], ids.Order());
    }

    private async Task WaitForOrderAsync(string id)
    {
        for (var i = 0; i < 400 && !testbed.Recorder.Received("orders").Any(o => o["id"]!.GetValue<string>() == id); i++)
        {
            await Task.Delay(50);
        }
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task RetryThenSuccess_IsRedeliveredAndThenAcknowledged()
    {
        testbed.Recorder.Script("flaky", (200, """{"status":"RETRY"}"""), (503, ""));
        var publisher = testbed.ClientFor(testbed.CheckoutSidecar);

        await publisher.PublishEventAsync("pubsub", "flaky", new Order("ord-3", 1));

        var deliveries = await testbed.Recorder.WaitForAsync("flaky", 3);
        await testbed.WaitUntilAcknowledgedAsync("flaky");
        Assert.Equal(3, testbed.Recorder.Received("flaky").Count);
        Assert.All(deliveries, d => Assert.Equal("ord-3", d["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Drop_GoesToTheDeadLetterTopicUnchanged()
    {
        testbed.Recorder.Script("poison", (200, """{"status":"DROP"}"""));
        var publisher = testbed.ClientFor(testbed.CheckoutSidecar);

        await publisher.PublishEventAsync("pubsub", "poison", new Order("ord-4", 1));

        var dead = await testbed.Recorder.WaitForAsync("poison-dead", 1);
        await testbed.WaitUntilAcknowledgedAsync("poison");
        await using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(testbed.Redis.ConnectionString);
        var stored = await redis.GetDatabase().StreamRangeAsync("poison-dead");
        var original = JsonNode.Parse((string)stored.Single()["data"]!)!;

        Assert.Single(testbed.Recorder.Received("poison"));
        Assert.Equal("ord-4", dead[0]["id"]!.GetValue<string>());
        // The dead-letter topic holds the original envelope: its topic attribute still names "poison".
        Assert.Equal("poison", original["topic"]!.GetValue<string>());
        Assert.Equal("ord-4", original["data"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task RepeatedFailures_ExhaustRetriesAndLandOnTheDeadLetterTopic()
    {
        testbed.Recorder.Script("failing", (500, ""), (500, ""), (500, ""), (500, ""));
        var publisher = testbed.ClientFor(testbed.CheckoutSidecar);

        await publisher.PublishEventAsync("pubsub", "failing", new Order("ord-5", 1));

        var dead = await testbed.Recorder.WaitForAsync("failing-dead", 1);
        await testbed.WaitUntilAcknowledgedAsync("failing");
        // One attempt plus the policy's two retries.
        Assert.Equal(3, testbed.Recorder.Received("failing").Count);
        Assert.Equal("ord-5", dead[0]["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task RoutingRule_OnEventType_PicksTheRoute()
    {
        var publisher = testbed.ClientFor(testbed.CheckoutSidecar);

        await publisher.PublishEventAsync("pubsub", "payments", new Order("p-ok", 1), new Dictionary<string, string> { ["cloudevent.type"] = "payment.succeeded" });
        await publisher.PublishEventAsync("pubsub", "payments", new Order("p-bad", 1), new Dictionary<string, string> { ["cloudevent.type"] = "payment.failed" });

        var failed = await testbed.Recorder.WaitForAsync("payments-failed", 1);
        var other = await testbed.Recorder.WaitForAsync("payments-default", 1);
        Assert.Equal("p-bad", failed[0]["id"]!.GetValue<string>());
        Assert.Equal("p-ok", other[0]["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task SubscriberKilledMidDelivery_ReceivesTheMessageAfterRestart()
    {
        using var ended = new DeliveryStatuses("orders", "crash");
        testbed.Recorder.Block("crash");
        var publisher = testbed.ClientFor(testbed.CheckoutSidecar);
        await publisher.PublishEventAsync("pubsub", "crash", new Order("ord-6", 1));
        await testbed.Recorder.WaitForAsync("crash", 1);

        // The app dies with the delivery in flight, and stays down until the sidecar has spent its retries on it and
        // left the message to the component's redelivery.
        await testbed.Orders.DisposeAsync();
        testbed.Recorder.Unblock("crash");
        await ended.WaitForAsync("retry");
        await testbed.StartOrdersAsync();

        var deliveries = await testbed.Recorder.WaitForAsync("crash", 2, TimeSpan.FromSeconds(30));
        Assert.All(deliveries, d => Assert.Equal("ord-6", d["id"]!.GetValue<string>()));
    }
}
