using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Mesh.ErpStandIn.Tests;

public sealed class ErpStandInTests(ErpStandInFixture erp) : IClassFixture<ErpStandInFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => erp.SetChaosAsync("Normal");

    public Task DisposeAsync() => erp.SetChaosAsync("Normal");

    [Fact]
    public async Task PostTwiceWithOneKey_PostsOnceAndReplaysTheAnswer()
    {
        var key = Guid.NewGuid().ToString();

        var first = await PostAsync(key, Entry("evt-1"));
        var second = await PostAsync(key, Entry("evt-1"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var a = await first.Content.ReadFromJsonAsync<JsonObject>();
        var b = await second.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(a!["documentNumber"]!.GetValue<string>(), b!["documentNumber"]!.GetValue<string>());
        var read = await erp.Http.GetFromJsonAsync<JsonObject>($"/erp/v1/journal-entries/{a["documentNumber"]}");
        Assert.Equal("evt-1", read!["entry"]!["reference"]!.GetValue<string>());
    }

    [Fact]
    public async Task Export_PagesThroughEveryPostingInDocumentOrder()
    {
        var references = Enumerable.Range(0, 5).Select(i => $"export-{Guid.NewGuid():N}-{i}").ToList();
        foreach (var reference in references)
        {
            await PostAsync(Guid.NewGuid().ToString(), Entry(reference));
        }

        var seen = new List<string>();
        string? after = null;
        while (true)
        {
            var page = await erp.Http.GetFromJsonAsync<JsonArray>($"/erp/v1/journal-entries?limit=2{(after is null ? "" : $"&after={after}")}");
            if (page!.Count == 0)
            {
                break;
            }

            seen.AddRange(page.Select(e => e!["entry"]!["reference"]!.GetValue<string>()));
            after = page[^1]!["documentNumber"]!.GetValue<string>();
        }

        var tooMany = await erp.Http.GetAsync("/erp/v1/journal-entries?limit=5000");
        var notANumber = await erp.Http.GetAsync("/erp/v1/journal-entries?after=export");
        Assert.Equal(references, seen.Where(references.Contains));
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, notANumber.StatusCode);
        Assert.Contains("after must be a document number", await notANumber.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyReusedForAnotherEntry_IsConflict()
    {
        var key = Guid.NewGuid().ToString();
        await PostAsync(key, Entry("evt-2"));

        var reused = await PostAsync(key, Entry("evt-3"));

        Assert.Equal(HttpStatusCode.Conflict, reused.StatusCode);
        Assert.Contains("IDEMPOTENCY_KEY_REUSED", await reused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadEntries_AreRefusedNamingTheRule()
    {
        var unbalanced = await PostAsync(Guid.NewGuid().ToString(), new
        {
            companyCode = "1000", accountingDate = "2026-11-25", reference = "x",
            lines = new object[] { new { account = "1", debit = new { currency = "USD", minor = 10 } }, new { account = "2", credit = new { currency = "USD", minor = 9 } } },
        });
        var noKey = await erp.Http.PostAsJsonAsync("/erp/v1/journal-entries", Entry("no-key"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, unbalanced.StatusCode);
        Assert.Contains("debits 10 and credits 9 differ", await unbalanced.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);
        Assert.Contains("Idempotency-Key", await noKey.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChaosModes_BehaveLikeAnUnhealthyCloudApi()
    {
        await erp.SetChaosAsync("Throttle");
        var throttled = await PostAsync(Guid.NewGuid().ToString(), Entry("t"));
        await erp.SetChaosAsync("Unavailable");
        var unavailable = await PostAsync(Guid.NewGuid().ToString(), Entry("u"));
        await erp.SetChaosAsync("Down");
        var down = await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(Guid.NewGuid().ToString(), Entry("d")));
        await erp.SetChaosAsync("Reject");
        var rejected = await PostAsync(Guid.NewGuid().ToString(), Entry("r"));
        await erp.SetChaosAsync("Slow", 400);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var slow = await PostAsync(Guid.NewGuid().ToString(), Entry("s"));

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal("1", throttled.Headers.RetryAfter?.ToString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.NotNull(down);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, rejected.StatusCode);
        Assert.Contains("PERIOD_CLOSED", await rejected.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, slow.StatusCode);
        Assert.True(watch.ElapsedMilliseconds >= 400);
    }

    [Fact]
    public async Task ChaosHits_CountTheRequestsEachModeMet()
    {
        var before = await erp.Http.GetFromJsonAsync<JsonObject>("/erp/admin/chaos/hits");

        await erp.SetChaosAsync("Throttle");
        await PostAsync(Guid.NewGuid().ToString(), Entry("t1"));
        await PostAsync(Guid.NewGuid().ToString(), Entry("t2"));
        await erp.SetChaosAsync("Down");
        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(Guid.NewGuid().ToString(), Entry("d")));
        await erp.SetChaosAsync("Normal");
        await PostAsync(Guid.NewGuid().ToString(), Entry("n"));
        var after = await erp.Http.GetFromJsonAsync<JsonObject>("/erp/admin/chaos/hits");

        Assert.Equal(2, after!["Throttle"]!.GetValue<long>() - before!["Throttle"]!.GetValue<long>());
        Assert.Equal(1, after["Down"]!.GetValue<long>() - before["Down"]!.GetValue<long>());
        Assert.False(after.ContainsKey("Normal"));
    }

    [Fact]
    public async Task LostReply_TheRetryWithTheSameKeyFindsThePostingInsteadOfDuplicatingIt()
    {
        var key = Guid.NewGuid().ToString();
        var before = await erp.Http.GetFromJsonAsync<JsonObject>("/erp/admin/stats");

        await erp.SetChaosAsync("LoseReply");
        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(key, Entry("lost")));
        await erp.SetChaosAsync("Normal");
        var retry = await PostAsync(key, Entry("lost"));
        var after = await erp.Http.GetFromJsonAsync<JsonObject>("/erp/admin/stats");

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(before!["postings"]!.GetValue<int>() + 1, after!["postings"]!.GetValue<int>());
    }

    [Fact]
    public async Task ItemRead_KnownAndUnknown()
    {
        var item = await erp.Http.GetFromJsonAsync<JsonObject>("/erp/v1/items/SUTURE-3-0");
        var missing = await erp.Http.GetAsync("/erp/v1/items/NOPE");

        Assert.Equal(385, item!["standardCost"]!["minor"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private static object Entry(string reference) => ErpStandInFixture.Entry(reference);

    private Task<HttpResponseMessage> PostAsync(string key, object entry) => erp.PostAsync("/erp/v1/journal-entries", key, entry);
}
