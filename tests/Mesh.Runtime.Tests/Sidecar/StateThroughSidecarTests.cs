using Dapr;
using Dapr.Client;
using Grpc.Core;
using StackExchange.Redis;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>The stock DaprClient's state API against the embedded sidecar and a real Redis.</summary>
public sealed class StateThroughSidecarTests(SidecarTestbed testbed) : IClassFixture<SidecarTestbed>
{
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };

    [Fact]
    public async Task TrySaveState_TwoWritersRaceWithOneETag_ExactlyOneWins()
    {
        var a = testbed.ClientFor(testbed.CheckoutSidecar);
        var b = testbed.ClientFor(testbed.OrdersSidecar);
        await a.SaveStateAsync("statestore", "race", new Order("o-1", 1), FirstWrite);
        var (_, etag) = await a.GetStateAndETagAsync<Order>("statestore", "race");

        // Keys are prefixed per app, so the race is between two callers of one app; the other app cannot see the key.
        var results = await Task.WhenAll(
            a.TrySaveStateAsync("statestore", "race", new Order("o-1", 2), etag, FirstWrite),
            a.TrySaveStateAsync("statestore", "race", new Order("o-1", 3), etag, FirstWrite));
        var (final, finalEtag) = await a.GetStateAndETagAsync<Order>("statestore", "race");

        Assert.Equal(1, results.Count(won => won));
        Assert.Contains(final.Quantity, new[] { 2, 3 });
        Assert.Equal((int.Parse(etag) + 1).ToString(), finalEtag);
        Assert.Null(await b.GetStateAsync<Order>("statestore", "race"));
    }

    [Fact]
    public async Task SaveState_FirstWriteOnExistingKeyWithoutETag_ThrowsWithAborted()
    {
        var client = testbed.ClientFor(testbed.CheckoutSidecar);
        await client.SaveStateAsync("statestore", "stale", new Order("o-2", 1), FirstWrite);
        var (_, etag) = await client.GetStateAndETagAsync<Order>("statestore", "stale");
        Assert.True(await client.TrySaveStateAsync("statestore", "stale", new Order("o-2", 2), etag, FirstWrite));

        var error = await Assert.ThrowsAsync<DaprException>(() => client.SaveStateAsync("statestore", "stale", new Order("o-2", 3), FirstWrite));
        var staleWrite = await client.TrySaveStateAsync("statestore", "stale", new Order("o-2", 4), etag, FirstWrite);

        Assert.Equal(StatusCode.Aborted, Assert.IsType<RpcException>(error.InnerException).StatusCode);
        Assert.False(staleWrite);
        Assert.Equal(2, (await client.GetStateAsync<Order>("statestore", "stale")).Quantity);
    }

    [Fact]
    public async Task ExecuteStateTransaction_OneStaleETag_ChangesNothing()
    {
        var client = testbed.ClientFor(testbed.CheckoutSidecar);
        await client.SaveStateAsync("statestore", "tx-a", new Order("a", 1));
        await client.SaveStateAsync("statestore", "tx-b", new Order("b", 1));
        var (_, etagB) = await client.GetStateAndETagAsync<Order>("statestore", "tx-b");
        await client.SaveStateAsync("statestore", "tx-b", new Order("b", 2));

        var error = await Assert.ThrowsAsync<DaprException>(() => client.ExecuteStateTransactionAsync("statestore",
        [
            new StateTransactionRequest("tx-a", System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Order("a", 99)), StateOperationType.Upsert),
            new StateTransactionRequest("tx-b", System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Order("b", 99)), StateOperationType.Upsert, etagB),
            new StateTransactionRequest("tx-c", null, StateOperationType.Delete),
        ]));

        Assert.Equal(StatusCode.Aborted, Assert.IsType<RpcException>(error.InnerException).StatusCode);
        Assert.Equal(1, (await client.GetStateAsync<Order>("statestore", "tx-a")).Quantity);
        Assert.Equal(2, (await client.GetStateAsync<Order>("statestore", "tx-b")).Quantity);
    }

    [Fact]
    public async Task SaveState_KeysArePrefixedByAppIdInRedis_AsDaprDoes()
    {
        var client = testbed.ClientFor(testbed.CheckoutSidecar);

        await client.SaveStateAsync("statestore", "layout", new Order("l", 7));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(testbed.Redis.ConnectionString);
        var hash = (await redis.GetDatabase().HashGetAllAsync("checkout||layout")).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());

        Assert.Equal("1", hash["version"]);
        Assert.Contains("\"quantity\":7", hash["data"], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task GetBulkStateAndDelete_ThroughTheSdk_Work()
    {
        var client = testbed.ClientFor(testbed.CheckoutSidecar);
        await client.SaveStateAsync("statestore", "bulk-1", new Order("1", 1));
        await client.SaveStateAsync("statestore", "bulk-2", new Order("2", 2));

        var items = await client.GetBulkStateAsync<Order>("statestore", ["bulk-1", "bulk-2", "bulk-missing"], parallelism: 2);
        await client.DeleteStateAsync("statestore", "bulk-1");

        Assert.Equal([1, 2], items.Where(i => i.Value is not null).Select(i => i.Value.Quantity).Order());
        Assert.Null(await client.GetStateAsync<Order>("statestore", "bulk-1"));
    }

    [Fact]
    public async Task TrySaveState_EmptyETag_CountsAsNoETag()
    {
        var client = testbed.ClientFor(testbed.CheckoutSidecar);
        var key = $"empty-etag-{Guid.NewGuid():N}";

        var created = await client.TrySaveStateAsync("statestore", key, new Order("e", 1), "", FirstWrite);
        var again = await client.TrySaveStateAsync("statestore", key, new Order("e", 2), "", FirstWrite);

        Assert.True(created);
        Assert.False(again);
        Assert.Equal(1, (await client.GetStateAsync<Order>("statestore", key)).Quantity);
    }

    [Fact]
    public async Task UnknownStore_IsInvalidArgumentNamingIt()
    {
        var client = testbed.ClientFor(testbed.CheckoutSidecar);

        var error = await Assert.ThrowsAsync<DaprException>(() => client.GetStateAsync<Order>("nosuchstore", "k"));

        var rpc = Assert.IsType<RpcException>(error.InnerException);
        Assert.Equal(StatusCode.InvalidArgument, rpc.StatusCode);
        Assert.Contains("nosuchstore", rpc.Status.Detail, StringComparison.Ordinal);
    }
}
