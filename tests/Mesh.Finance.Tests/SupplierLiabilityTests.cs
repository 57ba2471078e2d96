using System.Net.Http.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.Type.V1;
using Mesh.ErpStandIn;
using Mesh.Testing;
using ErpJournalEntry = Mesh.ErpStandIn.JournalEntry;

namespace Mesh.Finance.Tests;

/// <summary>PostSupplierInvoiceLiability: finance books a matched invoice to accounts payable with its own accounts, once, and announces it.</summary>
[Collection(FinanceCollection.Name)]
public sealed class SupplierLiabilityTests(FinanceFixture fixture) : IAsyncLifetime
{
    public Task InitializeAsync() => fixture.SetChaosAsync(ChaosMode.Normal);

    public Task DisposeAsync() => fixture.SetChaosAsync(ChaosMode.Normal);

    [Fact]
    public async Task PostSupplierInvoiceLiability_CreditsPayablesOncePerRequestId_AndAnnouncesPayablePostedOnce()
    {
        var request = Request();
        var before = await fixture.StatsAsync();

        var posted = await fixture.Journal.PostSupplierInvoiceLiabilityAsync(request);
        var retried = await fixture.Journal.PostSupplierInvoiceLiabilityAsync(request);
        var after = await fixture.StatsAsync();
        var booked = await fixture.Erp.GetFromJsonAsync<ErpJournalEntry>($"/erp/v1/journal-entries/{posted.ErpDocumentNumber}");
        var events = await fixture.EventsAsync();

        Assert.Equal((JournalEntryState.Posted, JournalEntrySource.SupplierInvoice, request.SupplierInvoice), (posted.State, posted.Source, posted.SourceDocument));
        Assert.Equal([("2150", "costCenters/cc-4410", 143.25m), ("2100", "", -143.25m)], posted.Lines.Select(l => (l.GlAccount, l.CostCenter, l.Debit?.ToDecimal() ?? -l.Credit.ToDecimal())));
        Assert.Equal(posted, retried);
        Assert.Equal(before.Postings + 1, after.Postings);
        Assert.Equal(14325L, booked!.Entry.Lines[1].Credit!.Minor);
        var payable = PayablePosted.Parser.ParseJson(Assert.Single(events.Of(PayablePosted.Descriptor.FullName, d => d["journalEntry"]!.GetValue<string>() == posted.Name))["data"]!.ToJsonString());
        Assert.Equal(("2100", 143.25m, request.SupplierInvoice), (payable.GlAccount, payable.Amount.ToDecimal(), payable.SourceDocument));
        Assert.Empty(events.Of(CostPosted.Descriptor.FullName, d => d["journalEntry"]!.GetValue<string>() == posted.Name));
    }

    [Fact]
    public async Task PostSupplierInvoiceLiability_ErpDown_UnavailableThenPostedOnceWhenBack()
    {
        var request = Request();
        await fixture.SetChaosAsync(ChaosMode.Unavailable);

        var down = await Assert.ThrowsAsync<RpcException>(() => fixture.Journal.PostSupplierInvoiceLiabilityAsync(request).ResponseAsync);
        await fixture.SetChaosAsync(ChaosMode.Normal);
        var before = await fixture.StatsAsync();
        var posted = await fixture.Journal.PostSupplierInvoiceLiabilityAsync(request);
        var after = await fixture.StatsAsync();

        Assert.Equal(StatusCode.Unavailable, down.StatusCode);
        Assert.Equal(JournalEntryState.Posted, posted.State);
        Assert.Equal(before.Postings + 1, after.Postings);
    }

    [Theory]
    [InlineData("supplier_invoice")]
    [InlineData("amount")]
    [InlineData("invoice_time")]
    public async Task PostSupplierInvoiceLiability_BadInput_InvalidArgumentNamingField(string field)
    {
        var request = Request();
        switch (field)
        {
            case "supplier_invoice": request.SupplierInvoice = "invoices/x"; break;
            case "amount": request.Amount = Money.Of("USD", 1.005m); break;
            default: request.InvoiceTime = null; break;
        }

        var refused = await Assert.ThrowsAsync<RpcException>(() => fixture.Journal.PostSupplierInvoiceLiabilityAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.StartsWith(field, refused.Status.Detail, StringComparison.Ordinal);
    }

    private static PostSupplierInvoiceLiabilityRequest Request() => new()
    {
        SupplierInvoice = $"supplierInvoices/{Guid.NewGuid():N}"[..33],
        Supplier = "suppliers/acme",
        CostCenter = "costCenters/cc-4410",
        Amount = Money.Of("USD", 143.25m),
        InvoiceTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 3, 14, 0, 0, 0, TimeSpan.Zero)),
        RequestId = Guid.NewGuid().ToString("N"),
    };
}
