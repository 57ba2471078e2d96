using System.Text.Json.Nodes;
using Dapr.Client;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>
/// bulkSubscribe with the stock SDK on both sides: DaprClient.BulkPublishEventAsync publishes, a Dapr.AspNetCore route
/// declared WithBulkSubscribe (10 entries, 200 ms) receives batches and answers per entry.
/// </summary>
public sealed class BulkSubscribeThroughSidecarTests(SidecarTestbed testbed) : IClassFixture<SidecarTestbed>
{
    [Fact]
    public async Task BulkPublished_ArrivesInBatchesAsDaprdSendsThem_EachEntryOnce()
    {
        var publisher = testbed.ClientFor(testbed.CheckoutSidecar);
        var orders = Enumerable.Range(1, 25).Select(i => new Order($"b-{i}", i)).ToList();

        var published = await publisher.BulkPublishEventAsync("pubsub", "bulk-orders", orders);
        await WaitForEntriesAsync("bulk-orders", 25);
        await testbed.WaitUntilAcknowledgedAsync("bulk-orders");
        var requests = testbed.Recorder.Received("bulk-orders");

        var entries = Entries(requests);
        Assert.Empty(published.FailedEntries);
        Assert.Equal(orders.Select(o => o.Id).Order(), entries.Select(e => e["event"]!["data"]!["id"]!.GetValue<string>()).Order());
        Assert.InRange(requests.Count, 3, 24); // batched, at most 10 per request
        Assert.All(requests, r =>
        {
            Assert.InRange(r["entries"]!.AsArray().Count, 1, 10);
            Assert.Equal("application/json", r["content-type"]!.GetValue<string>());
            Assert.Equal("com.dapr.event.sent.bulk", r["type"]!.GetValue<string>());
            Assert.Equal("pubsub", r["pubsubname"]!.GetValue<string>());
            Assert.Equal("bulk-orders", r["topic"]!.GetValue<string>());
            Assert.Equal("pubsub", r["metadata"]!["pubsubName"]!.GetValue<string>());
            Assert.True(Guid.TryParse(r["id"]!.GetValue<string>(), out _));
        });
        Assert.All(entries, e =>
        {
            // Each entry carries the whole CloudEvent, as daprd stores it.
            Assert.Equal("application/cloudevents+json", e["contentType"]!.GetValue<string>());
            Assert.Equal("com.dapr.event.sent", e["event"]!["type"]!.GetValue<string>());
            Assert.Equal("checkout", e["event"]!["source"]!.GetValue<string>());
            Assert.True(Guid.TryParse(e["entryId"]!.GetValue<string>(), out _));
        });
        Assert.Equal(25, entries.Select(e => e["entryId"]!.GetValue<string>()).Distinct().Count());
    }

    [Fact]
    public async Task PerEntryAnswers_DropIsDeadLettered_RetryAndMissingAreResentAlone_SuccessOnce()
    {
        var publisher = testbed.ClientFor(testbed.CheckoutSidecar);

        await publisher.BulkPublishEventAsync("pubsub", "bulk-mixed", new List<Order> { new("ok-1", 1), new("drop-1", 1), new("retry-1", 1), new("missing-1", 1) });
        var dead = await testbed.Recorder.WaitForAsync("bulk-mixed-dead", 1);
        await WaitForEntriesAsync("bulk-mixed", 6);
        await testbed.WaitUntilAcknowledgedAsync("bulk-mixed");

        var requests = testbed.Recorder.Received("bulk-mixed");
        var times = Entries(requests).GroupBy(e => e["event"]!["data"]!["id"]!.GetValue<string>()).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new Dictionary<string, int> { ["ok-1"] = 1, ["drop-1"] = 1, ["retry-1"] = 2, ["missing-1"] = 2 }, times);
        // The retry re-sends only the entries still failing, under the request id and entry ids of the first try.
        var withRetry = requests.Where(r => Ids(r).Contains("retry-1")).ToList();
        Assert.Equal(2, withRetry.Count);
        Assert.DoesNotContain("ok-1", Ids(withRetry[1]));
        Assert.DoesNotContain("drop-1", Ids(withRetry[1]));
        Assert.Equal(withRetry[0]["id"]!.GetValue<string>(), withRetry[1]["id"]!.GetValue<string>());
        Assert.Equal(EntryIdOf(withRetry[0], "retry-1"), EntryIdOf(withRetry[1], "retry-1"));
        Assert.Equal("drop-1", dead.Single()["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task AppFailsTheRequest_BeyondTheRetries_TheEntryStaysPendingAndIsDeliveredLater()
    {
        testbed.Recorder.Script("bulk-down", (500, ""), (503, ""), (500, ""));
        var publisher = testbed.ClientFor(testbed.CheckoutSidecar);

        await publisher.BulkPublishEventAsync("pubsub", "bulk-down", new List<Order> { new("d-1", 1) });
        await WaitForEntriesAsync("bulk-down", 4, TimeSpan.FromSeconds(30));
        await testbed.WaitUntilAcknowledgedAsync("bulk-down");

        // One attempt and the policy's two retries fail; with no dead-letter topic the entry stays unacknowledged,
        // comes back after processingTimeout, and is acknowledged by the fourth request (no fifth comes).
        var requests = testbed.Recorder.Received("bulk-down");
        Assert.Equal(new[] { "d-1", "d-1", "d-1", "d-1" }, requests.SelectMany(Ids));
        Assert.Single(requests.Select(r => r["id"]!.GetValue<string>()).Take(3).Distinct());
        Assert.NotEqual(requests[0]["id"]!.GetValue<string>(), requests[3]["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task RawPayload_EachEventIsThePublishedBytesInBase64()
    {
        var publisher = testbed.ClientFor(testbed.CheckoutSidecar);
        var raw = new Dictionary<string, string> { ["rawPayload"] = "true" };

        await publisher.PublishByteEventAsync("pubsub", "bulk-raw", "HL7|A01"u8.ToArray(), "application/octet-stream", raw);
        await WaitForEntriesAsync("bulk-raw", 1);
        await testbed.WaitUntilAcknowledgedAsync("bulk-raw");

        var entry = Entries(testbed.Recorder.Received("bulk-raw")).Single();
        Assert.Equal("HL7|A01", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(entry["event"]!.GetValue<string>())));
        Assert.Equal("application/octet-stream", entry["contentType"]!.GetValue<string>());
        Assert.Equal("true", entry["metadata"]!["rawPayload"]!.GetValue<string>());
    }

    private static IEnumerable<string> Ids(JsonNode request) => request["entries"]!.AsArray().Select(e => e!["event"]!["data"]!["id"]!.GetValue<string>());

    private static string EntryIdOf(JsonNode request, string orderId) =>
        request["entries"]!.AsArray().Single(e => e!["event"]!["data"]!["id"]!.GetValue<string>() == orderId)!["entryId"]!.GetValue<string>();

    private static List<JsonNode> Entries(IEnumerable<JsonNode> requests) => [.. requests.SelectMany(r => r["entries"]!.AsArray()).Select(e => e!)];

    private async Task<IReadOnlyList<JsonNode>> WaitForEntriesAsync(string topic, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (Entries(testbed.Recorder.Received(topic)).Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"expected {count} entries on '{topic}', got {Entries(testbed.Recorder.Received(topic)).Count}");
            }

            await Task.Delay(50);
        }

        return testbed.Recorder.Received(topic);
    }
}
