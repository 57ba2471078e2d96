using Dapr.Client;
using Mesh.Testing;

namespace Mesh.ErpStandIn.Tests;

/// <summary>
/// Two stand-in processes on one ERP database: each book adds its records in groups, and the two race on the count's
/// ETag, so a lost race must be read again and decided again, never numbered twice. The books run in this process
/// against a real sidecar and Redis, each as its own process would.
/// </summary>
public sealed class StateBookTests : IAsyncLifetime
{
    private TestMesh mesh = null!;
    private DaprClient dapr = null!;

    public async Task InitializeAsync()
    {
        mesh = await TestMesh.StartAsync(TestApp.Client("books"));
        dapr = new DaprClientBuilder().UseGrpcEndpoint(mesh.GrpcEndpointOf("books")).Build();
    }

    [Fact]
    public async Task TwoBooksOnOneStore_EachAddingEveryKeyAtOnce_NumberEveryKeyOnceWithoutGaps()
    {
        var kind = $"note-{Guid.NewGuid():N}";
        StateBook<Note>[] books = [new(dapr, "statestore", kind, "N-"), new(dapr, "statestore", kind, "N-")];
        var keys = Enumerable.Range(0, 40).Select(i => $"key-{i}").ToList();

        var added = await Task.WhenAll(keys.SelectMany(key => books.Select(book =>
            book.AddOnceAsync(key, $"body of {key}", number => new Note(number, key), CancellationToken.None))));

        Assert.Equal(keys.Count, added.Count(a => a.Outcome == BookOutcome.Created));
        var numbers = added.GroupBy(a => a.Record!.Key).Select(g => Assert.Single(g.Select(a => a.Record!.Number).Distinct())).ToList();
        Assert.Equal(Enumerable.Range(1, keys.Count).Select(n => $"N-{n:D8}"), numbers.Order(StringComparer.Ordinal));
        Assert.Equal(keys.Count, await books[0].CountAsync(CancellationToken.None));
    }

    public async Task DisposeAsync()
    {
        dapr.Dispose();
        await mesh.DisposeAsync();
    }

    public sealed record Note(string Number, string Key);
}
