using System.Text;
using Mesh.Runtime.Components;
using StackExchange.Redis;

namespace Mesh.Runtime.Tests.Components;

public sealed class RedisStateStoreTests(RedisFixture redis) : StateStoreContract, IClassFixture<RedisFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task SetAsync_FirstWrite_LaysOutTheHashAsDapr()
    {
        await using var store = CreateStore();
        var (first, last) = (Key(), Key());

        await store.SetAsync(Set(first, "{\"id\":1}", concurrency: StateConcurrency.FirstWrite), None);
        await store.SetAsync(Set(last, "plain"), None);
        await store.SetAsync(Set(last, "plain again", etag: "1"), None);

        Assert.Equal(
            new Dictionary<string, string> { ["data"] = "{\"id\":1}", ["version"] = "1", ["first-write"] = "0" },
            await HashAsync(first));
        Assert.Equal(
            new Dictionary<string, string> { ["data"] = "plain again", ["version"] = "2" },
            await HashAsync(last));
    }

    [Fact]
    public async Task GetAsync_HashWrittenByDapr_ReturnsItsDataAndVersionAndHonoursItsMark()
    {
        var key = Key();
        await redis.Database.HashSetAsync(key, [new("data", "from dapr"), new("version", "7"), new("first-write", "0")]);
        await using var store = CreateStore();

        var item = await store.GetAsync(key, None);
        await Assert.ThrowsAsync<ETagMismatchException>(() => store.SetAsync(Set(key, "no etag"), None));
        await store.SetAsync(Set(key, "next", etag: "7"), None);

        Assert.Equal(("from dapr", "7"), (Text(item), item!.ETag));
        Assert.Equal("8", (string?)await redis.Database.HashGetAsync(key, "version"));
    }

    [Fact]
    public async Task SetAsync_TwoStoresRacingWithSameETag_ExactlyOneWinsEachRound()
    {
        // Two stores are two connections, as with two sidecars on one Redis.
        await using var store = CreateStore();
        await using var other = CreateStore();

        await RaceAsync(store, other);
    }

    [Fact]
    public async Task TransactAsync_StaleETag_LeavesRedisUntouched()
    {
        await using var store = CreateStore();
        var (a, b) = (Key(), Key());
        await store.SetAsync(Set(a, "a1"), None);

        await Assert.ThrowsAsync<ETagMismatchException>(() => store.TransactAsync(
            [new StateOperation(Set(b, "b1") with { TtlSeconds = 100 }, null), new StateOperation(null, new StateDeleteRequest(a, "9", StateConcurrency.LastWrite))],
            None));

        Assert.False(await redis.Database.KeyExistsAsync(b));
        Assert.Equal(new Dictionary<string, string> { ["data"] = "a1", ["version"] = "1" }, await HashAsync(a));
    }

    [Fact]
    public async Task SetAsync_Ttl_SetsAndRemovesTheRedisExpiry()
    {
        await using var store = CreateStore(("ttlInSeconds", "300"));
        var key = Key();

        await store.SetAsync(Set(key, "a") with { TtlSeconds = 100 }, None);
        var requested = await redis.Database.KeyTimeToLiveAsync(key);
        await store.SetAsync(Set(key, "b"), None);
        var component = await redis.Database.KeyTimeToLiveAsync(key);
        await store.SetAsync(Set(key, "c") with { TtlSeconds = 0 }, None);
        var persisted = await redis.Database.KeyTimeToLiveAsync(key);

        Assert.InRange(requested!.Value.TotalSeconds, 90, 100);
        Assert.InRange(component!.Value.TotalSeconds, 290, 300);
        Assert.Null(persisted);
    }

    [Fact]
    public async Task SetAsync_KeyHoldingAString_ReplacesItWithAHash()
    {
        var key = Key();
        await redis.Database.StringSetAsync(key, "legacy");
        await using var store = CreateStore();

        await store.SetAsync(Set(key, "new"), None);

        Assert.Equal(new Dictionary<string, string> { ["data"] = "new", ["version"] = "1" }, await HashAsync(key));
    }

    [Fact]
    public async Task GetAsync_UsesRedisDbFromMetadata()
    {
        await using var store = CreateStore(("redisDB", "3"));
        var key = Key();

        await store.SetAsync(Set(key, "in db 3"), None);

        Assert.False(await redis.Database.KeyExistsAsync(key));
        Assert.True(await redis.Connection.GetDatabase(3).KeyExistsAsync(key));
    }

    protected override IStateStore CreateStore(params (string Name, string Value)[] metadata) =>
        ComponentFactory.CreateStateStore(
            TestComponents.Define("statestore", "state.redis", [("redisHost", redis.Server.ConnectionString), ("redisPassword", ""), .. metadata]));

    private async Task<Dictionary<string, string>> HashAsync(string key) =>
        (await redis.Database.HashGetAllAsync(key)).ToDictionary(e => e.Name.ToString(), e => Encoding.UTF8.GetString((byte[])e.Value!));
}
