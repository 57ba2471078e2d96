using Grpc.Core;
using Mesh.Contracts.Finance.V1;
using Mesh.Finance.Domain;
using Mesh.Resources;

namespace Mesh.Finance.Grpc;

/// <summary>
/// mesh.finance.v1.JournalEntryService: maps requests to the <see cref="JournalBook"/>, which records, posts and
/// reverses entries; reads come straight from the store.
/// </summary>
public sealed class JournalEntryApi(ResourceStore<JournalEntry> entries, JournalBook journal) : JournalEntryService.JournalEntryServiceBase
{
    /// <inheritdoc />
    public override async Task<JournalEntry> GetJournalEntry(GetJournalEntryRequest request, ServerCallContext context) =>
        await entries.GetAsync(JournalBook.Entries.IdOf(request.Name, "name"), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);

    /// <inheritdoc />
    public override async Task<ListJournalEntriesResponse> ListJournalEntries(ListJournalEntriesRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        Func<JournalEntry, bool> matches = entry => (request.State == JournalEntryState.Unspecified || entry.State == request.State)
            && (request.Source == JournalEntrySource.Unspecified || entry.Source == request.Source)
            && (request.SourceDocument.Length == 0 || entry.SourceDocument == request.SourceDocument);
        if (request.RequestId.Length > 0)
        {
            return new ListJournalEntriesResponse { JournalEntries = { await entries.MadeByRequestAsync(request.RequestId, matches, ct) } };
        }

        var (page, next) = await Paging.PageAsync(await entries.IdsAsync(ct), request.PageSize, request.PageToken, ids => entries.GetManyAsync(ids, ct), matches);
        return new ListJournalEntriesResponse { JournalEntries = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override Task<JournalEntry> CreateJournalEntry(CreateJournalEntryRequest request, ServerCallContext context) =>
        journal.CreateAsync(request.JournalEntry ?? throw ResourceErrors.Invalid("journal_entry is required"), request.JournalEntryId, request.RequestId, context.CancellationToken);

    /// <inheritdoc />
    public override Task<JournalEntry> PostJournalEntry(PostJournalEntryRequest request, ServerCallContext context) =>
        journal.PostAsync(JournalBook.Entries.IdOf(request.Name, "name"), request.Etag, request.RequestId, context.CancellationToken);

    /// <inheritdoc />
    public override Task<JournalEntry> ReverseJournalEntry(ReverseJournalEntryRequest request, ServerCallContext context) =>
        journal.ReverseAsync(JournalBook.Entries.IdOf(request.Name, "name"), request.Reason, request.Etag, request.AccountingDate, request.RequestId, context.CancellationToken);

    /// <inheritdoc />
    public override Task<JournalEntry> PostSuppliesCost(PostSuppliesCostRequest request, ServerCallContext context) =>
        journal.PostSuppliesCostAsync(request, context.CancellationToken);

    /// <inheritdoc />
    public override Task<JournalEntry> PostSupplierInvoiceLiability(PostSupplierInvoiceLiabilityRequest request, ServerCallContext context) =>
        journal.PostSupplierInvoiceLiabilityAsync(request, context.CancellationToken);
}
