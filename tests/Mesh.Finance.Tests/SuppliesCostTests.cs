using System.Net.Http.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.ErpStandIn;
using Mesh.Testing;
using ErpJournalEntry = Mesh.ErpStandIn.JournalEntry;
using JournalEntry = Mesh.Contracts.Finance.V1.JournalEntry;

namespace Mesh.Finance.Tests;

/// <summary>PostSuppliesCost: finance books consumed supplies with its own accounts and announces the cost it posted.</summary>
[Collection(FinanceCollection.Name)]
public sealed class SuppliesCostTests(FinanceFixture fixture) : IAsyncLifetime
{
    private JournalEntryService.JournalEntryServiceClient Journal => fixture.Journal;

    public Task InitializeAsync() => fixture.SetChaosAsync(ChaosMode.Normal);

    public Task DisposeAsync() => fixture.SetChaosAsync(ChaosMode.Normal);

    [Fact]
    public async Task PostSuppliesCost_BooksExpenseAgainstInventoryOnFinancesAccounts_OncePerRequestId_AndAnnouncesItOnce()
    {
        var request = Request();
        var before = await fixture.StatsAsync();

        var posted = await Journal.PostSuppliesCostAsync(request);
        var retried = await Journal.PostSuppliesCostAsync(request);
        var after = await fixture.StatsAsync();
        var booked = await fixture.Erp.GetFromJsonAsync<ErpJournalEntry>($"/erp/v1/journal-entries/{posted.ErpDocumentNumber}");
        var events = (await fixture.EventsAsync()).Of(CostPosted.Descriptor.FullName, d => d["journalEntry"]!.GetValue<string>() == posted.Name);

        // 2.9 x 0.35 is exactly 1.015: half to even gives 1.02 (a double would give 1.01).
        Assert.Equal(
            (JournalEntryState.Posted, JournalEntrySource.InventoryConsumption, "1000", request.RequestId, request.SourceDocument, "2025-003"),
            (posted.State, posted.Source, posted.CompanyCode, posted.IdempotencyKey, posted.SourceDocument, posted.PostingPeriod));
        Assert.Equal(
            [(FinanceFixture.SuppliesExpenseAccount, "costCenters/cc-4410", 1.02m, "items/gauze-4x4"), (FinanceFixture.InventoryAccount, "costCenters/cc-4410", -1.02m, "items/gauze-4x4")],
            posted.Lines.Select(l => (l.GlAccount, l.CostCenter, l.Debit?.ToDecimal() ?? -l.Credit.ToDecimal(), l.Item)));
        Assert.Equal("Supplies consumed: items/gauze-4x4 at locations/or-3", posted.Description);
        Assert.Equal(posted, retried);
        Assert.Equal(before.Postings + 1, after.Postings);
        Assert.Equal((request.SourceDocument, 102L), (booked!.Entry.Reference, booked.Entry.Lines[0].Debit!.Minor));
        var cost = CostPosted.Parser.ParseJson(Assert.Single(events)["data"]!.ToJsonString());
        Assert.Equal((FinanceFixture.SuppliesExpenseAccount, 1.02m, request.RequestId, request.SourceDocument), (cost.GlAccount, cost.Amount.ToDecimal(), cost.Context.CausationId, cost.Context.CorrelationId));
    }

    [Fact]
    public async Task PostSuppliesCost_ErpRefuses_IsFailedPreconditionWithoutAnnouncement_AndTheRetryPostsOnceItAccepts()
    {
        var request = Request();
        await fixture.SetChaosAsync(ChaosMode.Reject);

        var refused = await Assert.ThrowsAsync<RpcException>(() => Journal.PostSuppliesCostAsync(request).ResponseAsync);
        var failed = Assert.Single(await ListBySourceAsync(request.SourceDocument));
        var eventsWhileRefused = (await fixture.EventsAsync()).Of(CostPosted.Descriptor.FullName, d => d["journalEntry"]!.GetValue<string>() == failed.Name);
        await fixture.SetChaosAsync(ChaosMode.Normal);
        var posted = await Journal.PostSuppliesCostAsync(request);
        var events = (await fixture.EventsAsync()).Of(CostPosted.Descriptor.FullName, d => d["journalEntry"]!.GetValue<string>() == failed.Name);

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.StartsWith($"the ERP refused {failed.Name}: PERIOD_CLOSED", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(JournalEntryState.Failed, failed.State);
        Assert.Empty(eventsWhileRefused);
        Assert.Equal((failed.Name, JournalEntryState.Posted), (posted.Name, posted.State));
        Assert.Single(events);
    }

    [Fact]
    public async Task PostSuppliesCost_CostCenterUnknownOrInactive_IsFailedPrecondition_BadInputIsInvalidArgument_NothingRecorded()
    {
        var closed = await fixture.CostCenters.CreateCostCenterAsync(new CreateCostCenterRequest
        {
            CostCenter = new CostCenter { Code = $"{Random.Shared.Next(5000, 9999)}", CompanyCode = $"co-{Guid.NewGuid():N}"[..10], DisplayName = "Closed ward", State = CostCenterState.Inactive },
        });
        var document = Request().SourceDocument;
        var cases = new (StatusCode Code, string Message, Action<PostSuppliesCostRequest> Break)[]
        {
            (StatusCode.FailedPrecondition, "cost_center costCenters/no-such-center does not exist in master data", r => r.CostCenter = "costCenters/no-such-center"),
            (StatusCode.FailedPrecondition, $"cost_center {closed.Name} is INACTIVE and takes no new postings", r => r.CostCenter = closed.Name),
            (StatusCode.InvalidArgument, "cost_center 'CC-4410' is not a costCenters name", r => r.CostCenter = "CC-4410"),
            (StatusCode.InvalidArgument, "item '' is not a items name", r => r.Item = ""),
            (StatusCode.InvalidArgument, "quantity is required and must be positive", r => r.Quantity = Quantity.Of(0m, "EA")),
            (StatusCode.InvalidArgument, "unit_cost is required", r => r.UnitCost = null),
            (StatusCode.InvalidArgument, "consume_time is required", r => r.ConsumeTime = null),
            (StatusCode.InvalidArgument, "quantity times unit_cost rounds to zero cents", r => (r.Quantity, r.UnitCost) = (Quantity.Of(1m, "EA"), Money.Of("USD", 0.004m))),
        };

        foreach (var (code, message, breakIt) in cases)
        {
            var request = Request(document);
            breakIt(request);
            var refused = await Assert.ThrowsAsync<RpcException>(() => Journal.PostSuppliesCostAsync(request).ResponseAsync);

            Assert.Equal((message, code), (message, refused.StatusCode));
            Assert.StartsWith(message, refused.Status.Detail, StringComparison.Ordinal);
        }

        Assert.Empty(await ListBySourceAsync(document));
    }

    private static PostSuppliesCostRequest Request(string? document = null)
    {
        var source = document ?? $"evt-{Guid.NewGuid():N}";
        return new PostSuppliesCostRequest
        {
            CostCenter = "costCenters/cc-4410",
            Item = "items/gauze-4x4",
            Location = "locations/or-3",
            Quantity = Quantity.Of(2.9m, "EA"),
            UnitCost = Money.Of("USD", 0.35m),
            ConsumeTime = Timestamp.FromDateTime(new DateTime(2025, 3, 14, 10, 0, 0, DateTimeKind.Utc)),
            SourceDocument = source,
            RequestId = $"{source}.cost",
        };
    }

    private async Task<List<JournalEntry>> ListBySourceAsync(string document) =>
        [.. (await Journal.ListJournalEntriesAsync(new ListJournalEntriesRequest { SourceDocument = document, PageSize = 1000 })).JournalEntries];
}
