using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Resources;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Charges.Tests;

/// <summary>The read cache charges prices from, over the real master data app, on a fake clock.</summary>
public sealed class MasterDataReadCacheTests(ChargesFixture fixture) : IClassFixture<ChargesFixture>
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);
    private readonly FakeTimeProvider clock = new();
    private readonly CountedCalls calls = new();

    [Fact]
    public async Task GetItem_AfterThePriceChanged_AnswersTheReadItemWithinTheLifetimeAndTheNewPriceAfterIt()
    {
        var items = CachedItems();
        var item = await CreateItemAsync();

        var before = await items.GetItemAsync(new GetItemRequest { Name = item.Name });
        await fixture.Items.UpdateItemAsync(new UpdateItemRequest
        {
            Item = new Item { Name = item.Name, ChargePrice = Money.Of("USD", 20m) },
            UpdateMask = new FieldMask { Paths = { "charge_price" } },
        });
        var within = await items.GetItemAsync(new GetItemRequest { Name = item.Name });
        clock.Advance(Lifetime);
        var after = await items.GetItemAsync(new GetItemRequest { Name = item.Name });

        Assert.Equal((12.50m, 12.50m, 20m), (before.ChargePrice.ToDecimal(), within.ChargePrice.ToDecimal(), after.ChargePrice.ToDecimal()));
        Assert.Equal(2, calls.Count);
    }

    [Fact]
    public async Task GetItem_NotFoundThenCreated_IsFoundByTheNextRead()
    {
        var items = CachedItems();
        var id = $"item-{Guid.NewGuid():N}"[..21];

        var missing = await Assert.ThrowsAsync<RpcException>(() => items.GetItemAsync(new GetItemRequest { Name = $"items/{id}" }).ResponseAsync);
        await CreateItemAsync(id);
        var found = await items.GetItemAsync(new GetItemRequest { Name = $"items/{id}" });

        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Equal($"items/{id}", found.Name);
    }

    [Fact]
    public async Task GetItem_ManyAtOnce_ShareOneCallAndEachGetsItsOwnCopy()
    {
        var items = CachedItems();
        var item = await CreateItemAsync();

        var read = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => items.GetItemAsync(new GetItemRequest { Name = item.Name }).ResponseAsync));
        read[0].Description = "changed by one caller";
        var again = await items.GetItemAsync(new GetItemRequest { Name = item.Name });

        Assert.Equal(1, calls.Count);
        Assert.All(read.Skip(1).Append(again), i => Assert.Equal(item.Description, i.Description));
    }

    private ItemService.ItemServiceClient CachedItems() =>
        new(fixture.MasterData.Intercept(calls).Intercept(new ReadCache(Lifetime, clock)));

    private Task<Item> CreateItemAsync(string? id = null) => fixture.CreateItemAsync(Money.Of("USD", 12.50m), id: id);

    /// <summary>Counts the calls that reach master data, behind the cache.</summary>
    private sealed class CountedCalls : Interceptor
    {
        private int count;

        public int Count => Volatile.Read(ref count);

        public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
            TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
        {
            Interlocked.Increment(ref count);
            return continuation(request, context);
        }
    }
}
