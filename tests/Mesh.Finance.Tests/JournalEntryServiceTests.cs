using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts;
using System.Net.Http.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Testing;
using Mesh.ErpStandIn;
using ErpJournalEntry = Mesh.ErpStandIn.JournalEntry;
using JournalEntry = Mesh.Contracts.Finance.V1.JournalEntry;
using JournalLine = Mesh.Contracts.Finance.V1.JournalLine;

namespace Mesh.Finance.Tests;

[Collection(FinanceCollection.Name)]
public sealed class JournalEntryServiceTests(FinanceFixture fixture) : IAsyncLifetime
{
    private JournalEntryService.JournalEntryServiceClient Journal => fixture.Journal;

    public Task InitializeAsync() => fixture.SetChaosAsync(ChaosMode.Normal);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task CreateAndPost_BooksTheEntryInTheErpOnce()
    {
        var document = NewDocument();
        var requestId = $"{document}.cost";

        var created = await Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = Entry(document), RequestId = requestId });
        var before = await fixture.StatsAsync();
        var posted = await Journal.PostJournalEntryAsync(new PostJournalEntryRequest { Name = created.Name, Etag = created.Etag });
        var after = await fixture.StatsAsync();
        var read = await Journal.GetJournalEntryAsync(new GetJournalEntryRequest { Name = created.Name });
        var booked = await fixture.Erp.GetFromJsonAsync<ErpJournalEntry>($"/erp/v1/journal-entries/{posted.ErpDocumentNumber}");

        Assert.Equal(JournalEntryState.Draft, created.State);
        Assert.Equal(new[] { 1, 2 }, created.Lines.Select(l => l.LineNumber));
        Assert.Equal((requestId, "2025-003"), (created.IdempotencyKey, created.PostingPeriod));
        Assert.Equal(JournalEntryState.Posted, posted.State);
        Assert.StartsWith("JE-", posted.ErpDocumentNumber, StringComparison.Ordinal);
        Assert.NotNull(posted.PostTime);
        Assert.Equal(posted, read);
        Assert.Equal(before.Postings + 1, after.Postings);
        Assert.NotNull(booked);
        Assert.Equal(("1000", new DateOnly(2025, 3, 14), document), (booked.Entry.CompanyCode, booked.Entry.AccountingDate, booked.Entry.Reference));
        Assert.Equal(
            new Mesh.ErpStandIn.JournalLine[]
            {
                new("500100", "cc-4410", new Amount("USD", 1250), null, "supplies consumed"),
                new("130000", null, null, new Amount("USD", 1250), "inventory relieved"),
            },
            booked.Entry.Lines);
        // Finance announced the cost it booked: the first debit line with a cost center.
        var cost = CostPosted.Parser.ParseJson(Assert.Single((await fixture.EventsAsync()).Of(CostPosted.Descriptor.FullName, d => d["journalEntry"]!.GetValue<string>() == created.Name))["data"]!.ToJsonString());
        Assert.Equal(
            (posted.ErpDocumentNumber, "costCenters/cc-4410", "500100", 12.50m, document, 1, $"{created.Name}.cost-posted", document),
            (cost.ErpDocumentNumber, cost.CostCenter, cost.GlAccount, cost.Amount.ToDecimal(), cost.SourceDocument, cost.LineNumber, cost.Context.EventId, cost.Context.CorrelationId));
    }

    [Fact]
    public async Task Reverse_PostsTheMirrorEntryOnce_AndMarksTheOriginalReversed()
    {
        var created = await Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = Entry(NewDocument()) });
        var draftRefused = await Assert.ThrowsAsync<RpcException>(() => Journal.ReverseJournalEntryAsync(new ReverseJournalEntryRequest { Name = created.Name, Reason = "wrong cost center" }).ResponseAsync);
        var posted = await Journal.PostJournalEntryAsync(new PostJournalEntryRequest { Name = created.Name });
        var noReason = await Assert.ThrowsAsync<RpcException>(() => Journal.ReverseJournalEntryAsync(new ReverseJournalEntryRequest { Name = posted.Name }).ResponseAsync);
        var before = await fixture.StatsAsync();

        var reversal = await Journal.ReverseJournalEntryAsync(new ReverseJournalEntryRequest { Name = posted.Name, Etag = posted.Etag, Reason = "wrong cost center" });
        var retried = await Journal.ReverseJournalEntryAsync(new ReverseJournalEntryRequest { Name = posted.Name, Etag = posted.Etag, Reason = "wrong cost center", RequestId = "another" });
        var original = await Journal.GetJournalEntryAsync(new GetJournalEntryRequest { Name = posted.Name });
        var after = await fixture.StatsAsync();
        var booked = await fixture.Erp.GetFromJsonAsync<ErpJournalEntry>($"/erp/v1/journal-entries/{reversal.ErpDocumentNumber}");
        var events = await fixture.EventsAsync();
        var announced = events.Of(JournalEntryReversed.Descriptor.FullName, d => d["journalEntry"]!.GetValue<string>() == posted.Name);

        Assert.Equal(StatusCode.FailedPrecondition, draftRefused.StatusCode);
        Assert.Equal((StatusCode.InvalidArgument, "reason is required"), (noReason.StatusCode, noReason.Status.Detail));
        Assert.Equal((JournalEntryState.Posted, JournalEntrySource.Reversal, posted.Name), (reversal.State, reversal.Source, reversal.Reverses));
        Assert.NotEqual(posted.ErpDocumentNumber, reversal.ErpDocumentNumber);
        Assert.Equal(posted.Lines.Select(l => (l.GlAccount, l.Debit, l.Credit)), reversal.Lines.Select(l => (l.GlAccount, l.Credit, l.Debit)));
        Assert.Equal(reversal, retried);
        // The contract's default accounting date is the day of the reversal, not the original's (its period may be closed).
        Assert.Equal(DateTime.UtcNow.Date, reversal.AccountingDate.ToDateTime().Date);
        Assert.Equal((JournalEntryState.Reversed, reversal.Name), (original.State, original.ReversedBy));
        Assert.Equal(before.Postings + 1, after.Postings);
        Assert.Equal((posted.Name, null, 1250L), (booked!.Entry.Reference, booked.Entry.Lines[0].Debit, booked.Entry.Lines[0].Credit!.Minor));
        // JournalEntryReversed once, committed with the mark on the original: the retry changed nothing and announced nothing.
        var e = Assert.Single(announced);
        Assert.Equal($"{posted.Name}.reversed", e["data"]!["context"]!["eventId"]!.GetValue<string>());
        Assert.Equal("mesh/finance", e["source"]!.GetValue<string>());
        Assert.Equal(
            (reversal.Name, posted.ErpDocumentNumber, reversal.ErpDocumentNumber, "wrong cost center"),
            (e["data"]!["reversalJournalEntry"]!.GetValue<string>(), e["data"]!["erpDocumentNumber"]!.GetValue<string>(),
             e["data"]!["reversalErpDocumentNumber"]!.GetValue<string>(), e["data"]!["reason"]!.GetValue<string>()));
        // The reversal entry is not announced as a cost; the original's posting was, once.
        Assert.Empty(events.Of(CostPosted.Descriptor.FullName, d => d["journalEntry"]!.GetValue<string>() == reversal.Name));
        Assert.Single(events.Of(CostPosted.Descriptor.FullName, d => d["journalEntry"]!.GetValue<string>() == posted.Name));
    }

    [Fact]
    public async Task Post_AnEntryAlreadyPosted_ReturnsItWithoutCallingTheErp()
    {
        var created = await Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = Entry(NewDocument()) });
        var posted = await Journal.PostJournalEntryAsync(new PostJournalEntryRequest { Name = created.Name });
        var (stats, posts) = (await fixture.StatsAsync(), fixture.JournalPosts);

        // The etag from before the post, as a retry whose reply was lost would send it.
        var again = await Journal.PostJournalEntryAsync(new PostJournalEntryRequest { Name = created.Name, Etag = created.Etag });

        Assert.Equal(posted, again);
        Assert.Equal(posts, fixture.JournalPosts);
        Assert.Equal(stats, await fixture.StatsAsync());
    }

    [Fact]
    public async Task Create_UnbalancedOrMalformed_IsInvalidArgumentNamingTheRule()
    {
        var document = NewDocument();
        var cases = new (string Rule, Action<JournalEntry> Break)[]
        {
            ("journal_entry.lines: debits 12.50 USD and credits 12.00 USD differ", e => e.Lines[1].Credit = Money.Of("USD", 12m)),
            ("journal_entry.lines needs at least two lines", e => e.Lines.RemoveAt(1)),
            ("journal_entry.lines[1] needs exactly one of debit or credit", e => e.Lines[1].ClearAmount()),
            ("journal_entry.lines[0].debit must be positive", e => e.Lines[0].Debit = Money.Of("USD", -12.5m)),
            ("journal_entry.lines[0].debit 12.505 USD has fractions of a cent", e => (e.Lines[0].Debit, e.Lines[1].Credit) = (Money.Of("USD", 12.505m), Money.Of("USD", 12.505m))),
            ("journal_entry.lines mix currencies (USD, EUR)", e => e.Lines[1].Credit = Money.Of("EUR", 12.5m)),
            ("journal_entry.lines[0].gl_account is required", e => e.Lines[0].GlAccount = ""),
            ("journal_entry.lines[0].cost_center", e => e.Lines[0].CostCenter = "CC-4410"),
            ("journal_entry.source is required", e => e.Source = JournalEntrySource.Unspecified),
            ("journal_entry.source REVERSAL", e => e.Source = JournalEntrySource.Reversal),
            ("journal_entry.company_code is required", e => e.CompanyCode = " "),
            ("journal_entry.accounting_date is required", e => e.AccountingDate = null),
        };

        foreach (var (rule, breakIt) in cases)
        {
            var entry = Entry(document);
            breakIt(entry);
            var refused = await Assert.ThrowsAsync<RpcException>(() => Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = entry }).ResponseAsync);

            Assert.Equal((rule, StatusCode.InvalidArgument), (rule, refused.StatusCode));
            Assert.Contains(rule, refused.Status.Detail, StringComparison.Ordinal);
        }

        Assert.Empty(await ListAllAsync(new ListJournalEntriesRequest { SourceDocument = document }));
    }

    [Fact]
    public async Task Create_ACostCenterUnknownOrInactiveInMasterData_IsFailedPrecondition_NamingTheLine()
    {
        var closed = await fixture.CostCenters.CreateCostCenterAsync(new CreateCostCenterRequest
        {
            CostCenter = new CostCenter { Code = $"{Random.Shared.Next(5000, 9999)}", CompanyCode = $"co-{Guid.NewGuid():N}"[..10], DisplayName = "Closed ward", State = CostCenterState.Inactive },
        });
        var document = NewDocument();
        var unknownEntry = Entry(document);
        unknownEntry.Lines[0].CostCenter = "costCenters/no-such-center";
        var closedEntry = Entry(document);
        closedEntry.Lines[0].CostCenter = closed.Name;

        var unknown = await Assert.ThrowsAsync<RpcException>(() => Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = unknownEntry }).ResponseAsync);
        var inactive = await Assert.ThrowsAsync<RpcException>(() => Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = closedEntry }).ResponseAsync);

        Assert.Equal((StatusCode.FailedPrecondition, "journal_entry.lines[0].cost_center costCenters/no-such-center does not exist in master data"), (unknown.StatusCode, unknown.Status.Detail));
        Assert.Equal((StatusCode.FailedPrecondition, $"journal_entry.lines[0].cost_center {closed.Name} is INACTIVE and takes no new postings"), (inactive.StatusCode, inactive.Status.Detail));
        Assert.Empty(await ListAllAsync(new ListJournalEntriesRequest { SourceDocument = document }));
    }

    [Fact]
    public async Task Create_SameRequestIdTwice_RecordsOneEntry_AndTheKeyDefaultsToRequestIdThenName()
    {
        var document = NewDocument();
        var requestId = $"{document}.cost";

        var first = await Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = Entry(document), RequestId = requestId });
        var retry = await Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = Entry(document), RequestId = requestId });
        var withoutRequest = await Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = Entry(document) });
        var listed = await ListAllAsync(new ListJournalEntriesRequest { SourceDocument = document });

        Assert.Equal(first, retry);
        Assert.Equal(requestId, first.IdempotencyKey);
        Assert.Equal(withoutRequest.Name, withoutRequest.IdempotencyKey);
        Assert.Equal(new[] { first.Name, withoutRequest.Name }.Order(StringComparer.Ordinal), listed.Select(e => e.Name));
    }

    [Fact]
    public async Task Post_ErpUnavailable_IsUnavailableAndStaysDraft_ThenALaterPostBooksItOnce()
    {
        var created = await Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = Entry(NewDocument()) });
        var (before, attempts) = (await fixture.StatsAsync(), fixture.JournalPosts);
        await fixture.SetChaosAsync(ChaosMode.Unavailable);

        var unavailable = await Assert.ThrowsAsync<RpcException>(() => Journal.PostJournalEntryAsync(new PostJournalEntryRequest { Name = created.Name }).ResponseAsync);
        var attemptedDuringOutage = fixture.JournalPosts - attempts;
        var draft = await Journal.GetJournalEntryAsync(new GetJournalEntryRequest { Name = created.Name });
        await fixture.SetChaosAsync(ChaosMode.Normal);
        var posted = await Journal.PostJournalEntryAsync(new PostJournalEntryRequest { Name = created.Name, Etag = draft.Etag });
        var after = await fixture.StatsAsync();

        Assert.Equal(StatusCode.Unavailable, unavailable.StatusCode);
        Assert.Equal($"the ERP did not accept {created.Name}: HTTP 503 after retries; the entry stays Draft and a retry posts it once", unavailable.Status.Detail);
        Assert.Equal(5, attemptedDuringOutage); // the first attempt and the 4 retries the test configuration allows
        Assert.Equal(created, draft);
        Assert.Equal(JournalEntryState.Posted, posted.State);
        Assert.Equal((before.Postings + 1, before.Replays), (after.Postings, after.Replays));
    }

    [Fact]
    public async Task Post_ErpThrottlesForAWhile_OnePostRetriesAndBooksItOnce()
    {
        var created = await Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = Entry(NewDocument()) });
        var (before, attempts, answered) = (await fixture.StatsAsync(), fixture.JournalPosts, fixture.AnsweredJournalPosts);
        await fixture.SetChaosAsync(ChaosMode.Throttle);

        var post = Journal.PostJournalEntryAsync(new PostJournalEntryRequest { Name = created.Name }).ResponseAsync;
        await WaitUntilAsync(() => fixture.AnsweredJournalPosts > answered);
        await fixture.SetChaosAsync(ChaosMode.Normal);
        var posted = await post;
        var after = await fixture.StatsAsync();

        Assert.Equal(JournalEntryState.Posted, posted.State);
        Assert.True(fixture.JournalPosts - attempts >= 2, $"expected a throttled attempt and a retry, saw {fixture.JournalPosts - attempts} attempts");
        Assert.Equal((before.Postings + 1, before.Replays), (after.Postings, after.Replays));
    }

    [Fact]
    public async Task Post_ErpLosesTheReply_IsUnavailable_AndTheRetryReplaysInsteadOfBookingAgain()
    {
        var created = await Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = Entry(NewDocument()) });
        var (before, attempts) = (await fixture.StatsAsync(), fixture.JournalPosts);
        await fixture.SetChaosAsync(ChaosMode.LoseReply);

        var lost = await Assert.ThrowsAsync<RpcException>(() => Journal.PostJournalEntryAsync(new PostJournalEntryRequest { Name = created.Name }).ResponseAsync);
        var draft = await Journal.GetJournalEntryAsync(new GetJournalEntryRequest { Name = created.Name });
        await fixture.SetChaosAsync(ChaosMode.Normal);
        var posted = await Journal.PostJournalEntryAsync(new PostJournalEntryRequest { Name = created.Name });
        var after = await fixture.StatsAsync();
        var attempted = fixture.JournalPosts - attempts;

        Assert.Equal(StatusCode.Unavailable, lost.StatusCode);
        Assert.Equal(JournalEntryState.Draft, draft.State);
        Assert.Equal(JournalEntryState.Posted, posted.State);
        Assert.Equal(before.Postings + 1, after.Postings);
        // The first attempt booked it; every later one, the lost ones retried inside the first post and the second post, replayed it.
        Assert.True(attempted >= 2, $"expected at least two attempts, saw {attempted}");
        Assert.Equal(before.Replays + attempted - 1, after.Replays);
    }

    [Fact]
    public async Task Post_ErpRefuses_IsFailedPrecondition_AndTheEntryFailedWithTheErpsReason()
    {
        var key = $"{NewDocument()}.cost";
        var first = Entry(NewDocument());
        first.IdempotencyKey = key;
        var clash = Entry(NewDocument(), amount: 20m);
        clash.IdempotencyKey = key;
        var booked = await Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = first });
        await Journal.PostJournalEntryAsync(new PostJournalEntryRequest { Name = booked.Name });
        var reused = await Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = clash });
        var before = await fixture.StatsAsync();

        var refused = await Assert.ThrowsAsync<RpcException>(() => Journal.PostJournalEntryAsync(new PostJournalEntryRequest { Name = reused.Name }).ResponseAsync);
        var failed = await Journal.GetJournalEntryAsync(new GetJournalEntryRequest { Name = reused.Name });
        var after = await fixture.StatsAsync();

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.StartsWith($"the ERP refused {reused.Name}: IDEMPOTENCY_KEY_REUSED: ", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(JournalEntryState.Failed, failed.State);
        Assert.StartsWith("IDEMPOTENCY_KEY_REUSED: ", failed.FailureReason, StringComparison.Ordinal);
        Assert.Empty(failed.ErpDocumentNumber);
        Assert.Equal((before.Postings, before.Rejected + 1), (after.Postings, after.Rejected));
    }

    [Fact]
    public async Task Post_StaleETagIsAborted_UnknownEntryIsNotFound()
    {
        var created = await Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = Entry(NewDocument()) });
        var posts = fixture.JournalPosts;

        var stale = await Assert.ThrowsAsync<RpcException>(() => Journal.PostJournalEntryAsync(new PostJournalEntryRequest { Name = created.Name, Etag = "999999" }).ResponseAsync);
        var missing = await Assert.ThrowsAsync<RpcException>(() => Journal.PostJournalEntryAsync(new PostJournalEntryRequest { Name = "journalEntries/no-such-entry" }).ResponseAsync);
        var draft = await Journal.GetJournalEntryAsync(new GetJournalEntryRequest { Name = created.Name });

        Assert.Equal(StatusCode.Aborted, stale.StatusCode);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Equal(JournalEntryState.Draft, draft.State);
        Assert.Equal(posts, fixture.JournalPosts);
    }

    [Fact]
    public async Task ListJournalEntries_FiltersByStateSourceAndDocument_AcrossPages()
    {
        var document = NewDocument();
        var consumption = new List<JournalEntry>();
        for (var i = 0; i < 3; i++)
        {
            consumption.Add(await Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = Entry(document) }));
        }

        var receipt = Entry(document);
        receipt.Source = JournalEntrySource.GoodsReceipt;
        var received = await Journal.CreateJournalEntryAsync(new CreateJournalEntryRequest { JournalEntry = receipt });
        await Journal.PostJournalEntryAsync(new PostJournalEntryRequest { Name = consumption[0].Name });

        var first = await Journal.ListJournalEntriesAsync(new ListJournalEntriesRequest { SourceDocument = document, PageSize = 2 });
        var all = await ListAllAsync(new ListJournalEntriesRequest { SourceDocument = document, PageSize = 2 });
        var bySource = await ListAllAsync(new ListJournalEntriesRequest { SourceDocument = document, Source = JournalEntrySource.GoodsReceipt });
        var byState = await ListAllAsync(new ListJournalEntriesRequest { SourceDocument = document, State = JournalEntryState.Posted });

        Assert.Equal(2, first.JournalEntries.Count);
        Assert.NotEmpty(first.NextPageToken);
        Assert.Equal(consumption.Append(received).Select(e => e.Name).Order(StringComparer.Ordinal), all.Select(e => e.Name));
        Assert.Equal(new[] { received.Name }, bySource.Select(e => e.Name));
        Assert.Equal(new[] { consumption[0].Name }, byState.Select(e => e.Name));
    }

    private static string NewDocument() => $"evt-{Guid.NewGuid():N}";

    private static JournalEntry Entry(string sourceDocument, decimal amount = 12.50m) => new()
    {
        CompanyCode = "1000",
        AccountingDate = Timestamp.FromDateTime(new DateTime(2025, 3, 14, 0, 0, 0, DateTimeKind.Utc)),
        Description = "OR supplies consumption 2025-03-14",
        Source = JournalEntrySource.InventoryConsumption,
        SourceDocument = sourceDocument,
        Lines =
        {
            new JournalLine { GlAccount = "500100", CostCenter = "costCenters/cc-4410", Debit = Money.Of("USD", amount), Memo = "supplies consumed", Item = "items/gauze-4x4" },
            new JournalLine { GlAccount = "130000", Credit = Money.Of("USD", amount), Memo = "inventory relieved" },
        },
    };

    private async Task<List<JournalEntry>> ListAllAsync(ListJournalEntriesRequest request) =>
        (await Pages.AllAsync<JournalEntry>(async token =>
        {
            var page = await Journal.ListJournalEntriesAsync(new ListJournalEntriesRequest(request) { PageToken = token });
            return (page.JournalEntries, page.NextPageToken);
        })).Items;

    // Waits for something the ERP app observes (not a timing assertion: the bound only keeps a broken run from hanging).
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the ERP never saw the attempt");
            await Task.Delay(10);
        }
    }
}
