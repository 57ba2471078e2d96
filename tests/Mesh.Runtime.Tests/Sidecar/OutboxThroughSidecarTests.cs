using System.Text;
using System.Text.Json.Nodes;
using Dapr;
using Dapr.Client;
using Grpc.Core;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>
/// Dapr's transactional outbox through the sidecar, with the stock SDK's ExecuteStateTransactionAsync on a real Redis:
/// an event per upsert goes out once the transaction commits, shaped by projections and operation metadata as daprd
/// shapes it, and a transaction that does not commit publishes nothing.
/// </summary>
public sealed class OutboxThroughSidecarTests(OutboxTestbed testbed) : IClassFixture<OutboxTestbed>
{
    [Fact]
    public async Task ExecuteStateTransaction_Committed_PublishesOneEventPerUpsertAndDeletesTheMarkers()
    {
        var order = $"order-{Guid.NewGuid():N}";
        var metadata = new Dictionary<string, string> { ["type"] = "shop.v1.OrderPlaced", ["source"] = "shop/orders", ["subject"] = order, ["cloudevent.type"] = "ignored", ["id"] = "kept-out" };

        await testbed.Client.ExecuteStateTransactionAsync(OutboxTestbed.OutboxStore,
        [
            // daprd takes projections out of the list in place: each one goes before the write it projects.
            new StateTransactionRequest(order, Encoding.UTF8.GetBytes($$"""{"order":"{{order}}","event":"placed"}"""), StateOperationType.Upsert,
                metadata: new Dictionary<string, string> { ["outbox.projection"] = "true", ["contentType"] = "application/json" }),
            new StateTransactionRequest(order, Encoding.UTF8.GetBytes($$"""{"order":"{{order}}","lines":3}"""), StateOperationType.Upsert, metadata: metadata),
            new StateTransactionRequest($"{order}-index", Encoding.UTF8.GetBytes(order), StateOperationType.Upsert, metadata: new Dictionary<string, string> { ["subject"] = order }),
            new StateTransactionRequest($"{order}-old", null, StateOperationType.Delete),
        ]);
        var events = await testbed.WaitForEventsAsync(all => Mine(all, order).Count == 2);
        await testbed.WaitUntilRelayedAsync();
        var stored = await testbed.Client.GetStateAsync<JsonObject>("statestore", order);

        var placed = Mine(events, order).Single(e => e["type"]!.GetValue<string>() == "shop.v1.OrderPlaced");
        var index = Mine(events, order).Single(e => e != placed);
        Assert.Equal((order, "placed"), (placed["data"]!["order"]!.GetValue<string>(), placed["data"]!["event"]!.GetValue<string>()));
        Assert.Equal(("shop/orders", "application/json", "ignored"), (Text(placed, "source"), Text(placed, "datacontenttype"), Text(placed, "cloudevent.type")));
        Assert.Equal((OutboxTestbed.Topic, "pubsub", "1.0"), (Text(placed, "topic"), Text(placed, "pubsubname"), Text(placed, "specversion")));
        Assert.StartsWith("outbox-", Text(placed, "id"), StringComparison.Ordinal);
        Assert.All(new[] { placed, index }, e => Assert.DoesNotContain(testbed.Markers(), m => m == Text(e, "id")));
        // The other upsert publishes its own value, as text, under Dapr's default type and the app id as source.
        Assert.Equal((order, "text/plain", "com.dapr.event.sent", "shop"), (Text(index, "data"), Text(index, "datacontenttype"), Text(index, "type"), Text(index, "source")));
        // The projection was published, not stored: the state holds the write it projected.
        Assert.Equal(3, stored["lines"]!.GetValue<int>());
    }

    [Fact]
    public async Task ExecuteStateTransaction_StaleETag_AbortsAndPublishesNothing()
    {
        var order = $"order-{Guid.NewGuid():N}";
        await testbed.Client.SaveStateAsync("statestore", order, new { lines = 1 });
        var (_, etag) = await testbed.Client.GetStateAndETagAsync<JsonObject>("statestore", order);
        await testbed.Client.SaveStateAsync("statestore", order, new { lines = 2 });

        var error = await Assert.ThrowsAsync<DaprException>(() => testbed.Client.ExecuteStateTransactionAsync(OutboxTestbed.OutboxStore,
        [
            new StateTransactionRequest(order, Encoding.UTF8.GetBytes("""{"lines":3}"""), StateOperationType.Upsert, etag,
                metadata: new Dictionary<string, string> { ["subject"] = order }),
        ]));
        // The internal message went out before the write; the relay finds no marker and discards it.
        await testbed.WaitUntilRelayedAsync();

        Assert.Equal(StatusCode.Aborted, Assert.IsType<RpcException>(error.InnerException).StatusCode);
        Assert.Empty(Mine(await testbed.EventsAsync(), order));
        Assert.Equal(2, (await testbed.Client.GetStateAsync<JsonObject>("statestore", order))["lines"]!.GetValue<int>());
    }

    [Fact]
    public async Task ExecuteStateTransaction_ProjectionWhereDaprdsRemovalRunsPastTheList_IsRefusedAndWritesNothing()
    {
        var order = $"order-{Guid.NewGuid():N}";
        var projection = new Dictionary<string, string> { ["outbox.projection"] = "true" };

        // Two projections at the end: daprd's in-place removal reads the last one twice and panics on the second.
        var error = await Assert.ThrowsAsync<DaprException>(() => testbed.Client.ExecuteStateTransactionAsync(OutboxTestbed.OutboxStore,
        [
            new StateTransactionRequest(order, Encoding.UTF8.GetBytes("1"), StateOperationType.Upsert),
            new StateTransactionRequest($"{order}-b", Encoding.UTF8.GetBytes("2"), StateOperationType.Upsert),
            new StateTransactionRequest(order, Encoding.UTF8.GetBytes("p1"), StateOperationType.Upsert, metadata: projection),
            new StateTransactionRequest($"{order}-b", Encoding.UTF8.GetBytes("p2"), StateOperationType.Upsert, metadata: projection),
        ]));

        var status = Assert.IsType<RpcException>(error.InnerException).Status;
        Assert.Equal(StatusCode.Internal, status.StatusCode);
        Assert.StartsWith("error while publishing outbox message: the outbox.projection", status.Detail, StringComparison.Ordinal);
        Assert.Null(await testbed.Client.GetStateAsync<string>("statestore", order));
    }

    [Fact]
    public async Task ExecuteStateTransaction_OnAStoreWithoutOutbox_PublishesNothingAndWritesNoMarker()
    {
        var order = $"order-{Guid.NewGuid():N}";

        await testbed.Client.ExecuteStateTransactionAsync("statestore",
        [
            new StateTransactionRequest(order, Encoding.UTF8.GetBytes("1"), StateOperationType.Upsert, metadata: new Dictionary<string, string> { ["subject"] = order }),
        ]);

        Assert.Empty(testbed.Markers());
        Assert.Equal(1, await testbed.Client.GetStateAsync<int>("statestore", order));
        Assert.Empty(Mine(await testbed.EventsAsync(), order));
    }

    private static List<JsonObject> Mine(List<JsonObject> events, string order) =>
        [.. events.Where(e => e["subject"]?.GetValue<string>() == order)];

    private static string Text(JsonObject envelope, string attribute) => envelope[attribute]!.GetValue<string>();
}
