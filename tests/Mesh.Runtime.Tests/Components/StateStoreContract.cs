using System.Text;
using Mesh.Runtime.Components;

namespace Mesh.Runtime.Tests.Components;

/// <summary>
/// Dapr's state.redis ETag, first-write, TTL and transaction rules, which every Mesh state store follows.
/// Each concrete class runs these against one store type.
/// </summary>
public abstract class StateStoreContract
{
    private static readonly CancellationToken None = CancellationToken.None;

    /// <summary>A new store of the type under test.</summary>
    protected abstract IStateStore CreateStore(params (string Name, string Value)[] metadata);

    [Fact]
    public async Task GetAsync_MissingKey_ReturnsNull()
    {
        await using var store = CreateStore();

        Assert.Null(await store.GetAsync(Key(), None));
    }

    [Fact]
    public async Task SetAsync_NewKeyThenOverwrite_CountsETagsFromOne()
    {
        await using var store = CreateStore();
        var key = Key();

        await store.SetAsync(Set(key, "a"), None);
        var first = await store.GetAsync(key, None);
        await store.SetAsync(Set(key, "b"), None);
        var second = await store.GetAsync(key, None);

        Assert.Equal(("a", "1"), (Text(first), first!.ETag));
        Assert.Equal(("b", "2"), (Text(second), second!.ETag));
    }

    [Fact]
    public async Task SetAsync_StaleETag_ThrowsETagMismatchAndKeepsValue()
    {
        await using var store = CreateStore();
        var key = Key();
        await store.SetAsync(Set(key, "a"), None);
        await store.SetAsync(Set(key, "b"), None);

        var error = await Assert.ThrowsAsync<ETagMismatchException>(() => store.SetAsync(Set(key, "c", etag: "1"), None));

        Assert.Equal(key, error.Key);
        Assert.Equal(("b", "2"), Current(await store.GetAsync(key, None)));
    }

    [Fact]
    public async Task SetAsync_CurrentETag_Writes()
    {
        await using var store = CreateStore();
        var key = Key();
        await store.SetAsync(Set(key, "a"), None);

        await store.SetAsync(Set(key, "b", etag: "1", StateConcurrency.FirstWrite), None);

        Assert.Equal(("b", "2"), Current(await store.GetAsync(key, None)));
    }

    [Fact]
    public async Task SetAsync_NonIntegerETag_ThrowsInvalidETag()
    {
        await using var store = CreateStore();
        var key = Key();
        await store.SetAsync(Set(key, "a"), None);

        await Assert.ThrowsAsync<InvalidETagException>(() => store.SetAsync(Set(key, "b", etag: "W/\"1\""), None));
        Assert.Equal(("a", "1"), Current(await store.GetAsync(key, None)));
    }

    [Fact]
    public async Task SetAsync_ETagOnMissingKey_CreatesVersionOne()
    {
        // Dapr's script writes whenever the key has no version, whatever ETag the write carries.
        await using var store = CreateStore();
        var key = Key();

        await store.SetAsync(Set(key, "a", etag: "41", StateConcurrency.FirstWrite), None);

        Assert.Equal(("a", "1"), Current(await store.GetAsync(key, None)));
    }

    [Theory]
    [InlineData(StateConcurrency.FirstWrite)]
    [InlineData(StateConcurrency.LastWrite)]
    public async Task SetAsync_NoETagOnKeyWrittenFirstWrite_ThrowsETagMismatch(StateConcurrency concurrency)
    {
        await using var store = CreateStore();
        var key = Key();
        await store.SetAsync(Set(key, "a", concurrency: StateConcurrency.FirstWrite), None);

        await Assert.ThrowsAsync<ETagMismatchException>(() => store.SetAsync(Set(key, "b", concurrency: concurrency), None));
        Assert.Equal(("a", "1"), Current(await store.GetAsync(key, None)));
    }

    [Fact]
    public async Task SetAsync_FirstWriteNoETagOnKeyNeverWrittenFirstWrite_WritesAndLocksKey()
    {
        // Dapr only demands an ETag once a key carries the first-write mark; this write sets it.
        await using var store = CreateStore();
        var key = Key();
        await store.SetAsync(Set(key, "a"), None);

        await store.SetAsync(Set(key, "b", concurrency: StateConcurrency.FirstWrite), None);

        Assert.Equal(("b", "2"), Current(await store.GetAsync(key, None)));
        await Assert.ThrowsAsync<ETagMismatchException>(() => store.SetAsync(Set(key, "c"), None));
    }

    [Fact]
    public async Task SetAsync_FirstWriteRacersWithSameETag_ExactlyOneWins()
    {
        await using var store = CreateStore();
        await RaceAsync(store, store);
    }

    [Fact]
    public async Task DeleteAsync_StaleETag_ThrowsETagMismatchAndKeepsKey()
    {
        await using var store = CreateStore();
        var key = Key();
        await store.SetAsync(Set(key, "a"), None);
        await store.SetAsync(Set(key, "b"), None);

        await Assert.ThrowsAsync<ETagMismatchException>(() => store.DeleteAsync(new StateDeleteRequest(key, "1", StateConcurrency.FirstWrite), None));
        Assert.Equal(("b", "2"), Current(await store.GetAsync(key, None)));
    }

    [Fact]
    public async Task DeleteAsync_CurrentETag_RemovesKeyAndNextWriteStartsAtOne()
    {
        await using var store = CreateStore();
        var key = Key();
        await store.SetAsync(Set(key, "a"), None);
        await store.SetAsync(Set(key, "b"), None);

        await store.DeleteAsync(new StateDeleteRequest(key, "2", StateConcurrency.FirstWrite), None);
        var afterDelete = await store.GetAsync(key, None);
        await store.SetAsync(Set(key, "c"), None);

        Assert.Null(afterDelete);
        Assert.Equal(("c", "1"), Current(await store.GetAsync(key, None)));
    }

    [Fact]
    public async Task DeleteAsync_NoETag_DeletesEvenAFirstWriteKey()
    {
        await using var store = CreateStore();
        var key = Key();
        await store.SetAsync(Set(key, "a", concurrency: StateConcurrency.FirstWrite), None);

        await store.DeleteAsync(new StateDeleteRequest(key, null, StateConcurrency.FirstWrite), None);

        Assert.Null(await store.GetAsync(key, None));
    }

    [Fact]
    public async Task DeleteAsync_MissingKeyWithOrWithoutETag_Succeeds()
    {
        await using var store = CreateStore();
        var key = Key();

        await store.DeleteAsync(new StateDeleteRequest(key, null, StateConcurrency.LastWrite), None);
        await store.DeleteAsync(new StateDeleteRequest(key, "3", StateConcurrency.FirstWrite), None);

        Assert.Null(await store.GetAsync(key, None));
    }

    [Fact]
    public async Task TransactAsync_OneStaleETag_ChangesNothing()
    {
        await using var store = CreateStore();
        var (a, b, c) = (Key(), Key(), Key());
        await store.SetAsync(Set(a, "a1"), None);
        await store.SetAsync(Set(b, "b1"), None);
        await store.SetAsync(Set(b, "b2"), None);

        var error = await Assert.ThrowsAsync<ETagMismatchException>(() => store.TransactAsync(
            [
                new StateOperation(Set(a, "a2", etag: "1"), null),
                new StateOperation(Set(c, "c1"), null),
                new StateOperation(null, new StateDeleteRequest(b, "1", StateConcurrency.LastWrite)),
            ],
            None));

        Assert.Equal(b, error.Key);
        Assert.Equal(("a1", "1"), Current(await store.GetAsync(a, None)));
        Assert.Equal(("b2", "2"), Current(await store.GetAsync(b, None)));
        Assert.Null(await store.GetAsync(c, None));
    }

    [Fact]
    public async Task TransactAsync_InvalidETag_ThrowsInvalidETagAndChangesNothing()
    {
        await using var store = CreateStore();
        var (a, b) = (Key(), Key());

        await Assert.ThrowsAsync<InvalidETagException>(() => store.TransactAsync(
            [new StateOperation(Set(a, "a1"), null), new StateOperation(Set(b, "b1", etag: "x", StateConcurrency.FirstWrite), null)],
            None));

        Assert.Null(await store.GetAsync(a, None));
    }

    [Fact]
    public async Task TransactAsync_SeveralOperationsOnOneKey_SeeEachOtherInOrder()
    {
        await using var store = CreateStore();
        var (a, b) = (Key(), Key());
        await store.SetAsync(Set(b, "b1"), None);

        await store.TransactAsync(
            [
                new StateOperation(Set(a, "a1"), null),
                new StateOperation(Set(a, "a2", etag: "1", StateConcurrency.FirstWrite), null),
                new StateOperation(null, new StateDeleteRequest(b, "1", StateConcurrency.LastWrite)),
                new StateOperation(Set(b, "b-again", etag: "5"), null),
            ],
            None);

        Assert.Equal(("a2", "2"), Current(await store.GetAsync(a, None)));
        Assert.Equal(("b-again", "1"), Current(await store.GetAsync(b, None)));
    }

    [Fact]
    public async Task TransactAsync_SecondOperationStaleAfterTheFirst_ChangesNothing()
    {
        await using var store = CreateStore();
        var a = Key();
        await store.SetAsync(Set(a, "a1"), None);

        // Each operation alone would pass; the second expects the version the first replaces.
        await Assert.ThrowsAsync<ETagMismatchException>(() => store.TransactAsync(
            [new StateOperation(Set(a, "a2", etag: "1"), null), new StateOperation(Set(a, "a3", etag: "1"), null)],
            None));

        Assert.Equal(("a1", "1"), Current(await store.GetAsync(a, None)));
    }

    [Fact]
    public async Task SetAsync_RequestTtl_ExpiresKey()
    {
        await using var store = CreateStore();
        var key = Key();

        await store.SetAsync(Set(key, "a") with { TtlSeconds = 3 }, None);

        await AssertExpiresAfterAsync(store, key, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task SetAsync_ComponentTtl_ExpiresKeyWrittenWithoutOne()
    {
        await using var store = CreateStore(("ttlInSeconds", "3"));
        var key = Key();

        await store.SetAsync(Set(key, "a"), None);

        await AssertExpiresAfterAsync(store, key, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task SetAsync_NonPositiveRequestTtl_RemovesExpiryEvenOverComponentTtl()
    {
        await using var store = CreateStore(("ttlInSeconds", "3"));
        var key = Key();

        await store.SetAsync(Set(key, "a"), None);
        await store.SetAsync(Set(key, "b") with { TtlSeconds = -1 }, None);
        await ElapseAsync(TimeSpan.FromSeconds(4));

        Assert.Equal(("b", "2"), Current(await store.GetAsync(key, None)));
    }

    [Fact]
    public async Task SetAsync_NoTtlOnKeyWithExpiry_KeepsTheExpiry()
    {
        // Redis's HSET keeps a key's expiry, and Dapr sends neither EXPIRE nor PERSIST without a TTL.
        await using var store = CreateStore();
        var key = Key();

        await store.SetAsync(Set(key, "a") with { TtlSeconds = 1 }, None);
        await store.SetAsync(Set(key, "b"), None);

        await AssertExpiresAfterAsync(store, key, TimeSpan.FromSeconds(1));
    }

    /// <summary>
    /// Checks that <paramref name="key"/>, written just now with <paramref name="ttl"/>, expires. By default on real
    /// time, because Redis owns the clock of its key expiry: still there at once, gone within the TTL and a margin.
    /// A store on the test's clock checks the exact moment instead.
    /// </summary>
    protected virtual async Task AssertExpiresAfterAsync(IStateStore store, string key, TimeSpan ttl)
    {
        Assert.NotNull(await store.GetAsync(key, None));
        Assert.True(await GoneWithinAsync(store, key, ttl + TimeSpan.FromSeconds(5)));
    }

    /// <summary>Lets <paramref name="time"/> pass for the store: real time by default (Redis's own clock).</summary>
    protected virtual Task ElapseAsync(TimeSpan time) => Task.Delay(time);

    /// <summary>Rounds of six first-write writers with the same ETag, alternating between two stores: one wins each round.</summary>
    protected static async Task RaceAsync(IStateStore store, IStateStore other)
    {
        for (var round = 0; round < 20; round++)
        {
            var key = Key();
            await store.SetAsync(Set(key, "start", concurrency: StateConcurrency.FirstWrite), None);
            var writers = Enumerable.Range(0, 6)
                .Select(i => Task.Run(() => (i % 2 == 0 ? store : other).SetAsync(Set(key, $"w{i}", etag: "1", StateConcurrency.FirstWrite), None)))
                .ToArray();

            var outcome = await Task.WhenAll(writers.Select(async w =>
            {
                try
                {
                    await w;
                    return "won";
                }
                catch (ETagMismatchException)
                {
                    return "lost";
                }
            }));

            Assert.Single(outcome, o => o == "won");
            Assert.Equal(5, outcome.Count(o => o == "lost"));
            var final = await store.GetAsync(key, None);
            Assert.Equal("2", final!.ETag);
            Assert.StartsWith("w", Text(final));
        }
    }

    protected static string Key() => TestComponents.Unique("key");

    protected static StateSetRequest Set(string key, string value, string? etag = null, StateConcurrency concurrency = StateConcurrency.LastWrite) =>
        new(key, Encoding.UTF8.GetBytes(value), etag, concurrency);

    protected static string Text(StateItem? item) => Encoding.UTF8.GetString(item!.Value.Span);

    private static (string Value, string ETag) Current(StateItem? item) => (Text(item), item!.ETag);

    private static async Task<bool> GoneWithinAsync(IStateStore store, string key, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (await store.GetAsync(key, None) is null)
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }
}
