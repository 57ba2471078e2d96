using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Finance;
using Mesh.Finance.Domain;
using Mesh.Resources;

namespace Mesh.Finance.Tests;

/// <summary>The journal's rules and events as plain classes: no sidecar, no ERP, no gRPC.</summary>
public sealed class JournalRulesTests
{
    private static readonly Timestamp March14 = Timestamp.FromDateTime(new DateTime(2025, 3, 14, 0, 0, 0, DateTimeKind.Utc));

    [Fact]
    public void Draft_NumbersLinesDerivesThePeriodAndDefaultsTheKeyToTheRequestThenTheName()
    {
        var withRequest = Entry();
        var withoutRequest = Entry();
        withRequest.ErpDocumentNumber = "JE-1";

        JournalRules.Draft(withRequest, "journalEntries/a", "evt-1.cost", March14);
        JournalRules.Draft(withoutRequest, "journalEntries/b", "", March14);

        Assert.Equal(("1,2", "2025-003", "evt-1.cost", JournalEntryState.Draft, ""), (string.Join(",", withRequest.Lines.Select(l => l.LineNumber)), withRequest.PostingPeriod, withRequest.IdempotencyKey, withRequest.State, withRequest.ErpDocumentNumber));
        Assert.Equal("journalEntries/b", withoutRequest.IdempotencyKey);
        Assert.Throws<RpcException>(() => JournalRules.Draft(Entry(), "journalEntries/c", new string('k', JournalRules.MaxIdempotencyKeyLength + 1), March14));
    }

    [Fact]
    public void Mirror_SwapsEverySide_DatesItOnTheReversalDay_AndDerivesItsKey()
    {
        var original = Entry();
        JournalRules.Draft(original, "journalEntries/a", "evt-1.cost", March14);
        var april2 = Timestamp.FromDateTime(new DateTime(2025, 4, 2, 0, 0, 0, DateTimeKind.Utc));

        var mirror = JournalRules.Mirror(original, "journalEntries/r", "duplicate", april2, april2);

        Assert.Equal(original.Lines.Select(l => (l.GlAccount, l.Debit, l.Credit)), mirror.Lines.Select(l => (l.GlAccount, l.Credit, l.Debit)));
        Assert.Equal((JournalEntrySource.Reversal, "journalEntries/a", "evt-1.cost.reversal", "2025-004", "journalEntries/a"), (mirror.Source, mirror.Reverses, mirror.IdempotencyKey, mirror.PostingPeriod, mirror.SourceDocument));
    }

    [Theory]
    [InlineData("12.50", true)]
    [InlineData("12.505", false)]
    public void IsWholeCents_IsWhatTheErpBooks(string amount, bool whole) =>
        Assert.Equal(whole, JournalRules.IsWholeCents(Money.Of("USD", decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture))));

    [Fact]
    public void SuppliesCost_Entry_DebitsExpenseAndCreditsInventoryOfTheCostCenter_InItsCompany()
    {
        var request = new PostSuppliesCostRequest
        {
            CostCenter = "costCenters/cc-1", Item = "items/i-1", Quantity = Quantity.Of(3m, "EA"), UnitCost = Money.Of("USD", 0.125m),
            ConsumeTime = March14, SourceDocument = "evt-1", RequestId = "evt-1.cost",
        };
        var costCenter = new CostCenter { Name = "costCenters/cc-1", CompanyCode = "2000" };

        SuppliesCost.Validate(request);
        var entry = SuppliesCost.Entry(request, costCenter, new FinanceOptions { SuppliesExpenseAccount = "6100", InventoryAccount = "1400" });
        JournalRules.Validate(entry);

        // 3 x 0.125 = 0.375, half to even: 0.38.
        Assert.Equal(("2000", JournalEntrySource.InventoryConsumption, "evt-1", "Supplies consumed: items/i-1"), (entry.CompanyCode, entry.Source, entry.SourceDocument, entry.Description));
        Assert.Equal([("6100", 0.38m, "costCenters/cc-1"), ("1400", -0.38m, "costCenters/cc-1")], entry.Lines.Select(l => (l.GlAccount, l.Debit?.ToDecimal() ?? -l.Credit.ToDecimal(), l.CostCenter)));
    }

    [Fact]
    public void CostPosted_IsTheFirstDebitLineWithACostCenter_AndNoneForAReversal()
    {
        var events = new ContractEvents("finance-outbox", "mesh/finance");
        var posted = Entry();
        JournalRules.Draft(posted, "journalEntries/a", "evt-1.cost", March14);
        posted.Lines.Insert(0, new JournalLine { GlAccount = "6900", Debit = Money.Of("USD", 1m), LineNumber = 0 });
        posted.Lines.Add(new JournalLine { GlAccount = "2000", Credit = Money.Of("USD", 1m), LineNumber = 3 });
        (posted.State, posted.ErpDocumentNumber, posted.PostTime) = (JournalEntryState.Posted, "JE-7", March14);
        var reversal = JournalRules.Mirror(posted, "journalEntries/r", "duplicate", March14, March14);

        var cost = FinanceEvents.CostPosted(events, posted, "");

        Assert.NotNull(cost);
        Assert.Equal(("500100", 1, 12.5m, "JE-7", "journalEntries/a.cost-posted", "evt-1.cost", "evt-1"), (cost.GlAccount, cost.LineNumber, cost.Amount.ToDecimal(), cost.ErpDocumentNumber, cost.Context.EventId, cost.Context.CausationId, cost.Context.CorrelationId));
        Assert.Null(FinanceEvents.CostPosted(events, reversal, ""));
    }

    private static JournalEntry Entry() => new()
    {
        CompanyCode = "1000",
        AccountingDate = March14,
        Source = JournalEntrySource.InventoryConsumption,
        SourceDocument = "evt-1",
        Lines =
        {
            new JournalLine { GlAccount = "500100", CostCenter = "costCenters/cc-4410", Debit = Money.Of("USD", 12.5m) },
            new JournalLine { GlAccount = "130000", Credit = Money.Of("USD", 12.5m) },
        },
    };
}
