using System.Text.Json;
using Mesh.Contracts.Charges.V1;
using Mesh.Resources;

namespace Mesh.Charges.Tests;

/// <summary>
/// A resource kind's id index on the charges app's real state store: whatever the number of resources, no value of the
/// index holds more than a page of ids, and listing, deleting, partitions and an index written before pages or
/// partitions existed keep every id.
/// Each test uses a kind of its own, with pages of four ids so a few dozen resources fill several.
/// </summary>
public sealed class IdIndexTests(ChargesFixture fixture) : IClassFixture<ChargesFixture>
{
    private const int PageSize = 4;
    private const string Store = "statestore";

    [Fact]
    public async Task CreateMany_EightAtATime_ListsEveryIdOnce_AndNoIndexValueHoldsMoreThanAPage()
    {
        var (store, kind) = NewStore(PageSize);
        var ids = Enumerable.Range(0, 120).Select(n => $"c-{n:000}").ToList();

        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, ct) => await store.CreateAsync(id, Charge(id), "", ct));
        var values = await IndexValuesAsync(kind);

        Assert.Equal(ids, await store.IdsAsync(CancellationToken.None));
        Assert.All(values, v => Assert.InRange(v.Ids.Count, 0, PageSize));
        Assert.All(values.Where(v => v.Sealed), v => Assert.Equal(PageSize, v.Ids.Count));
        Assert.Contains(values, v => v.Sealed);
        Assert.Equal(ids, values.SelectMany(v => v.Ids).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Delete_IdsInSealedAndOpenPages_LeavesEveryOtherId_AndADeletedIdCanBeCreatedAgain()
    {
        var (store, kind) = NewStore(PageSize);
        var ids = Enumerable.Range(0, 96).Select(n => $"d-{n:000}").ToList();
        foreach (var id in ids)
        {
            await store.CreateAsync(id, Charge(id), "", CancellationToken.None);
        }

        var sealedBefore = (await IndexValuesAsync(kind)).Where(v => v.Sealed).SelectMany(v => v.Ids).ToHashSet();
        var deleted = ids.Where((_, n) => n % 2 == 0).ToList();
        foreach (var id in deleted)
        {
            Assert.True(await store.TryDeleteAsync(id, (await store.GetAsync(id, CancellationToken.None))!.Etag, CancellationToken.None));
        }

        Assert.Contains(deleted, sealedBefore.Contains);
        Assert.Contains(deleted, id => !sealedBefore.Contains(id));
        Assert.Equal(ids.Except(deleted), await store.IdsAsync(CancellationToken.None));
        await store.CreateAsync(deleted[0], Charge(deleted[0]), "", CancellationToken.None);
        Assert.Equal(ids.Except(deleted.Skip(1)), await store.IdsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task HeadWrittenBeforePages_IsSealedWholeByTheNextCreate_AndKeepsEveryId()
    {
        var (store, kind) = NewStore(PageSize);
        var bucket = IdIndex.Bucket("old-0");
        var old = Enumerable.Range(0, 400).Select(n => $"old-{n}").Where(id => IdIndex.Bucket(id) == bucket).Take(PageSize + 3).ToList();
        var added = Enumerable.Range(0, 400).Select(n => $"new-{n}").First(id => IdIndex.Bucket(id) == bucket);
        foreach (var id in old)
        {
            await fixture.ChargesDapr.SaveStateAsync(Store, $"{kind}:{id}", JsonDocument.Parse(JsonSerializer.Serialize(new { name = $"charges/{id}" })).RootElement);
        }

        // The bucket as ResourceStore wrote it before pages: one JSON list of every id.
        await fixture.ChargesDapr.SaveStateAsync(Store, $"{kind}-index:{bucket}", old);
        await store.CreateAsync(added, Charge(added), "", CancellationToken.None);
        var values = await IndexValuesAsync(kind);

        Assert.Equal(old.Append(added).Order(StringComparer.Ordinal), await store.IdsAsync(CancellationToken.None));
        Assert.Equal(old, Assert.Single(values, v => v.Sealed).Ids);
        Assert.True(await store.TryDeleteAsync(old[1], (await store.GetAsync(old[1], CancellationToken.None))!.Etag, CancellationToken.None));
        Assert.Equal(old.Where(id => id != old[1]).Append(added).Order(StringComparer.Ordinal), await store.IdsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Partitioned_ListsEachPartitionFromItsOwnIndex_WithTheIdsTheKindWideIndexHeldBefore()
    {
        var (before, kind) = NewStore(PageSize);
        var store = new ResourceStore<PatientCharge>(fixture.ChargesDapr, Store, kind, indexPageSize: PageSize, partitionOf: id => id[..id.IndexOf('~', StringComparison.Ordinal)]);
        string[] old = ["ward-a~old-1", "ward-b~old-2", "ward-a~old-3"];
        var fresh = Enumerable.Range(0, 20).Select(n => $"ward-{(n % 2 == 0 ? 'a' : 'b')}~m-{n:00}").ToList();
        foreach (var id in old)
        {
            await before.CreateAsync(id, Charge(id), "", CancellationToken.None);
        }

        foreach (var id in fresh)
        {
            await store.CreateAsync(id, Charge(id), "", CancellationToken.None);
        }

        Assert.Equal(InWard("ward-a", old.Concat(fresh)), await store.IdsAsync("ward-a", CancellationToken.None));
        Assert.Equal(InWard("ward-b", old.Concat(fresh)), await store.IdsAsync("ward-b", CancellationToken.None));
        Assert.Equal(old.Order(StringComparer.Ordinal), await before.IdsAsync(CancellationToken.None));

        foreach (var id in new[] { "ward-a~old-1", "ward-a~m-04" })
        {
            Assert.True(await store.TryDeleteAsync(id, (await store.GetAsync(id, CancellationToken.None))!.Etag, CancellationToken.None));
        }

        Assert.Equal(InWard("ward-a", old.Concat(fresh)).Except(["ward-a~old-1", "ward-a~m-04"]), await store.IdsAsync("ward-a", CancellationToken.None));
        Assert.Equal(["ward-a~old-3", "ward-b~old-2"], await before.IdsAsync(CancellationToken.None));
    }

    private (ResourceStore<PatientCharge> Store, string Kind) NewStore(int pageSize)
    {
        var kind = $"index-test-{Guid.NewGuid():N}";
        return (new ResourceStore<PatientCharge>(fixture.ChargesDapr, Store, kind, indexPageSize: pageSize), kind);
    }

    private static List<string> InWard(string ward, IEnumerable<string> ids) =>
        [.. ids.Where(id => id.StartsWith(ward + "~", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    private static PatientCharge Charge(string id) => new() { Name = $"charges/{id}" };

    // Every value the index of the kind holds: each bucket's open page and the pages sealed before it.
    private async Task<List<(bool Sealed, List<string> Ids)>> IndexValuesAsync(string kind)
    {
        var values = new List<(bool, List<string>)>();
        for (var bucket = 0; bucket < IdIndex.Buckets; bucket++)
        {
            var head = await fixture.ChargesDapr.GetStateAsync<JsonElement>(Store, $"{kind}-index:{bucket}");
            if (head.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            values.Add((false, head.GetProperty("ids").Deserialize<List<string>>()!));
            for (var page = 0; page < head.GetProperty("sealed").GetInt32(); page++)
            {
                values.Add((true, await fixture.ChargesDapr.GetStateAsync<List<string>>(Store, $"{kind}-index:{bucket}:{page}")));
            }
        }

        return values;
    }
}
