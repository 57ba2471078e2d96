using System.Threading.RateLimiting;
using Mesh.Gateway.RateLimiting;
using Mesh.Testing;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Mesh.Gateway.Tests;

/// <summary>The token bucket on a real Redis, with time on a fake clock.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private readonly FakeTimeProvider clock = new(DateTimeOffset.Parse("2026-05-01T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private RedisServer redis = null!;
    private ConnectionMultiplexer connection = null!;

    public async Task InitializeAsync()
    {
        redis = await RedisServer.StartAsync();
        connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await connection.DisposeAsync();
        await redis.DisposeAsync();
    }

    [Fact]
    public async Task Acquire_BurstThenRefusedWithRetryAfter_ThenRefilledAtTheRate()
    {
        var bucket = new RedisTokenBucket(connection, clock);
        var call = new LimitedCall("supplier-acme", "mesh.masterdata.v1.ItemService.ListItems", new GatewayOptions.RateLimitOptions { PermitsPerSecond = 2, Burst = 3 });

        var burst = new List<bool>();
        for (var i = 0; i < 3; i++)
        {
            burst.Add((await bucket.AcquireAsync(call)).IsAcquired);
        }

        using var refused = await bucket.AcquireAsync(call);
        clock.Advance(TimeSpan.FromMilliseconds(499));
        using var stillRefused = await bucket.AcquireAsync(call);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        using var refilled = await bucket.AcquireAsync(call);

        Assert.Equal([true, true, true], burst);
        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var wait));
        Assert.Equal(TimeSpan.FromMilliseconds(500), wait);
        Assert.False(stillRefused.IsAcquired);
        Assert.True(refilled.IsAcquired);
    }

    [Fact]
    public async Task Acquire_TwoGatewayInstances_DrawFromOneBucket()
    {
        var limit = new GatewayOptions.RateLimitOptions { PermitsPerSecond = 1, Burst = 4 };
        var call = new LimitedCall("billing-medbill", "mesh.charges.v1.ChargeService.ListCharges", limit);
        await using var other = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var first = new RedisTokenBucket(connection, clock);
        var second = new RedisTokenBucket(other, clock);

        var taken = await Task.WhenAll(Enumerable.Range(0, 10).Select(async i => (await (i % 2 == 0 ? first : second).AcquireAsync(call)).IsAcquired));

        Assert.Equal(4, taken.Count(t => t));
    }

    [Fact]
    public async Task Acquire_BucketsArePerClientAndMethod()
    {
        var bucket = new RedisTokenBucket(connection, clock);
        var limit = new GatewayOptions.RateLimitOptions { PermitsPerSecond = 1, Burst = 1 };

        var a = (await bucket.AcquireAsync(new LimitedCall("a", "m1", limit))).IsAcquired;
        var aAgain = (await bucket.AcquireAsync(new LimitedCall("a", "m1", limit))).IsAcquired;
        var otherMethod = (await bucket.AcquireAsync(new LimitedCall("a", "m2", limit))).IsAcquired;
        var otherClient = (await bucket.AcquireAsync(new LimitedCall("b", "m1", limit))).IsAcquired;

        Assert.Equal((true, false, true, true), (a, aAgain, otherMethod, otherClient));
    }
}
