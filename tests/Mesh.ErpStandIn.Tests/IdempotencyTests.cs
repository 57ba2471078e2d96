using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Mesh.ErpStandIn.Tests;

/// <summary>
/// The ledger and the order book are in the state store, so an idempotency key holds when requests with it race each
/// other and when the stand-in's process is killed and started again.
/// </summary>
public sealed class IdempotencyTests(ErpStandInFixture erp) : IClassFixture<ErpStandInFixture>
{
    private const string Journal = "/erp/v1/journal-entries";
    private const string Orders = "/erp/v1/purchase-orders";
    private const int Racers = 16;

    [Fact]
    public async Task PostOneKeyConcurrently_PostsOnceAndAnswersEveryRequestWithThatDocument()
    {
        var key = Guid.NewGuid().ToString();
        var before = await PostingsAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, Racers).Select(_ => erp.PostAsync(Journal, key, ErpStandInFixture.Entry("race"))));
        var documents = await Task.WhenAll(answers.Select(DocumentOfAsync));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Created);
        Assert.Equal(Racers - 1, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        Assert.Single(documents.Distinct());
        Assert.Equal(before + 1, await PostingsAsync());
    }

    [Fact]
    public async Task PostOneKeyConcurrentlyWithTwoBodies_PostsOneAndRefusesEveryRequestWithTheOtherBody()
    {
        var key = Guid.NewGuid().ToString();
        var before = await PostingsAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, Racers).Select(async i =>
            (Amount: 100 + (i % 2), Answer: await erp.PostAsync(Journal, key, ErpStandInFixture.Entry("race", 100 + (i % 2))))));
        var winner = Assert.Single(answers, a => a.Answer.StatusCode == HttpStatusCode.Created).Amount;

        Assert.All(answers.Where(a => a.Amount == winner), a => Assert.True(a.Answer.IsSuccessStatusCode, $"{a.Answer.StatusCode}"));
        Assert.All(answers.Where(a => a.Amount != winner), a => Assert.Equal(HttpStatusCode.Conflict, a.Answer.StatusCode));
        Assert.Single((await Task.WhenAll(answers.Where(a => a.Amount == winner).Select(a => DocumentOfAsync(a.Answer)))).Distinct());
        Assert.Equal(before + 1, await PostingsAsync());
    }

    [Fact]
    public async Task PostManyKeysAtOnceWithRepeats_NumbersEachKeyOnceWithoutGaps()
    {
        var keys = Enumerable.Range(0, 48).Select(_ => Guid.NewGuid().ToString()).ToList();
        var before = await PostingsAsync();

        // Every key twice, all at once: the additions go in groups, and a key's repeat waits for the group after its first.
        var answers = await Task.WhenAll(keys.Concat(keys).Select(async key => (Key: key, Answer: await erp.PostAsync(Journal, key, ErpStandInFixture.Entry(key)))));
        var documents = await Task.WhenAll(answers.Select(async a => (a.Key, Document: await DocumentOfAsync(a.Answer))));

        Assert.Equal(keys.Count, answers.Count(a => a.Answer.StatusCode == HttpStatusCode.Created));
        Assert.All(documents.GroupBy(d => d.Key), g => Assert.Single(g.Select(d => d.Document).Distinct()));
        var numbers = documents.Select(d => int.Parse(d.Document["JE-".Length..], System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order();
        Assert.Equal(Enumerable.Range(before + 1, keys.Count), numbers);
        Assert.Equal(before + keys.Count, await PostingsAsync());
    }

    [Fact]
    public async Task Restart_KeepsEntriesOrdersAndTheirIdempotencyKeys()
    {
        var (entryKey, orderKey) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
        var document = await DocumentOfAsync(await erp.PostAsync(Journal, entryKey, ErpStandInFixture.Entry("before-restart")));
        var order = await (await erp.PostAsync(Orders, orderKey, Order("PO-RESTART"))).Content.ReadFromJsonAsync<JsonObject>();
        var postings = await PostingsAsync();

        await erp.RestartAsync();
        var replayed = await erp.PostAsync(Journal, entryKey, ErpStandInFixture.Entry("before-restart"));
        var reused = await erp.PostAsync(Journal, entryKey, ErpStandInFixture.Entry("another-body"));
        var read = await erp.Http.GetFromJsonAsync<JsonObject>($"{Journal}/{document}");
        var postingsAfterRestart = await PostingsAsync();
        var next = await DocumentOfAsync(await erp.PostAsync(Journal, Guid.NewGuid().ToString(), ErpStandInFixture.Entry("after-restart")));
        var exported = await erp.Http.GetFromJsonAsync<JsonArray>($"{Journal}?after={document}&limit=1000");
        var orderAgain = await erp.PostAsync(Orders, orderKey, Order("PO-RESTART"));
        var cancelled = await erp.PostAsync($"{Orders}/{order!["orderId"]}/cancel", Guid.NewGuid().ToString(), new { reason = "test" });

        Assert.Equal(HttpStatusCode.OK, replayed.StatusCode);
        Assert.Equal(document, await DocumentOfAsync(replayed));
        Assert.Equal(HttpStatusCode.Conflict, reused.StatusCode);
        Assert.Equal("before-restart", read!["entry"]!["reference"]!.GetValue<string>());
        Assert.Equal(postings, postingsAfterRestart);
        Assert.True(string.CompareOrdinal(next, document) > 0, $"{next} is not numbered after {document}");
        Assert.Contains(exported!, e => e!["documentNumber"]!.GetValue<string>() == next);
        Assert.Equal(HttpStatusCode.OK, orderAgain.StatusCode);
        Assert.Equal(order["orderId"]!.GetValue<string>(), (await orderAgain.Content.ReadFromJsonAsync<JsonObject>())!["orderId"]!.GetValue<string>());
        Assert.Equal("CANCELLED", (await cancelled.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<string>());
    }

    private static object Order(string reference) => new
    {
        reference,
        supplier = "suppliers/acme",
        shipTo = "locations/main",
        lines = new[] { new { lineNumber = 1, item = "GAUZE-4X4", quantity = 10m, unit = "EA", unitPrice = new { currency = "USD", minor = 12 } } },
    };

    private static async Task<string> DocumentOfAsync(HttpResponseMessage answer) =>
        (await answer.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>())!["documentNumber"]!.GetValue<string>();

    private async Task<int> PostingsAsync() =>
        (await erp.Http.GetFromJsonAsync<JsonObject>("/erp/admin/stats"))!["postings"]!.GetValue<int>();
}
