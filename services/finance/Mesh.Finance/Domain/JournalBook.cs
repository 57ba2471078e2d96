using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;
using Microsoft.Extensions.Options;

namespace Mesh.Finance.Domain;

/// <summary>
/// The journal: balanced entries recorded as DRAFT and posted to the ERP under their idempotency key, so a retried
/// post books them once; a posted entry is reversed by a mirror entry posted the same way. An entry is recorded
/// POSTED together with its CostPosted, and the original REVERSED together with JournalEntryReversed, in one state
/// transaction each, so finance announces exactly what it recorded.
/// </summary>
public sealed partial class JournalBook(
    ResourceStore<JournalEntry> entries, IErp erp, ICostCenters costCenters, ContractEvents events, IOptions<FinanceOptions> options, TimeProvider time, ILogger<JournalBook> logger)
{
    /// <summary>The journal entries collection.</summary>
    public static readonly ResourceName Entries = new("journalEntries");

    /// <summary>Records <paramref name="draft"/> as a DRAFT entry, once per request id.</summary>
    public async Task<JournalEntry> CreateAsync(JournalEntry draft, string entryId, string requestId, CancellationToken ct)
    {
        JournalRules.Validate(draft);
        // A retry gets what the first attempt recorded, even if a cost center has been closed since.
        if (await entries.FindByRequestAsync(requestId, ct) is { } earlier)
        {
            return earlier;
        }

        var entry = draft.Clone();
        await CheckCostCentersAsync(entry, ct);
        var id = ResourceName.NewId(entryId, "journal_entry_id");
        JournalRules.Draft(entry, Entries.Of(id), requestId, Now());
        return await entries.CreateAsync(id, entry, requestId, ct);
    }

    /// <summary>
    /// Posts a DRAFT or FAILED entry to the ERP. A POSTED entry is returned as it is, whatever <paramref name="etag"/>
    /// says; a refusal is recorded FAILED and answered FAILED_PRECONDITION; an unreachable ERP is UNAVAILABLE.
    /// </summary>
    public async Task<JournalEntry> PostAsync(string id, string etag, string requestId, CancellationToken ct)
    {
        var name = Entries.Of(id);
        var current = await entries.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(name);
        // Checked before the etag: a retried post whose reply was lost carries the etag from before it.
        if (current.State == JournalEntryState.Posted)
        {
            return current;
        }

        if (current.State is not (JournalEntryState.Draft or JournalEntryState.Failed))
        {
            throw ResourceErrors.FailedPrecondition($"{name} is {current.State}; only DRAFT and FAILED entries are posted");
        }

        if (etag.Length > 0 && etag != current.Etag)
        {
            throw ResourceErrors.Aborted($"{name} changed since etag {etag} (now {current.Etag}); read it again");
        }

        var outcome = await erp.PostAsync(current, ct);
        if (outcome is ErpUnreachable unreachable)
        {
            LogUnreachable(logger, name, unreachable.Reason);
            throw new RpcException(new Status(
                StatusCode.Unavailable, $"the ERP did not accept {name}: {unreachable.Reason}; the entry stays {current.State} and a retry posts it once"));
        }

        var updated = current.Clone();
        updated.UpdateTime = Now();
        if (outcome is ErpRefused refused)
        {
            updated.State = JournalEntryState.Failed;
            updated.FailureReason = $"{refused.Code}: {refused.Message}";
            LogRefused(logger, name, updated.FailureReason);
            // Stored unless someone else wrote the entry meanwhile; the refusal is the answer either way.
            await entries.TryReplaceAsync(id, updated, current.Etag, ct);
            throw ResourceErrors.FailedPrecondition($"the ERP refused {name}: {updated.FailureReason}");
        }

        var posted = (ErpPosted)outcome;
        updated.State = JournalEntryState.Posted;
        updated.ErpDocumentNumber = posted.DocumentNumber;
        updated.PostTime = Timestamp.FromDateTimeOffset(posted.PostedAt);
        updated.FailureReason = "";
        Announcement[] announce = FinanceEvents.Posted(events, updated, requestId, options.Value) is { } announced ? [entries.Announce(id, announced)] : [];
        if (await entries.TryReplaceAsync(id, updated, current.Etag, [], ct, announce))
        {
            return await entries.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(name);
        }

        // A concurrent post of the same entry booked the same ERP document (same idempotency key) and announced it,
        // so losing the race to a POSTED entry is success.
        return await entries.GetAsync(id, ct) is { State: JournalEntryState.Posted } after
            ? after
            : throw ResourceErrors.Aborted($"{name} was changed by another writer; read it again");
    }

    /// <summary>
    /// Reverses a POSTED entry: creates and posts its mirror once (keyed by the entry, whatever the request id), then
    /// marks the original REVERSED with JournalEntryReversed. A retry after that returns the reversal.
    /// </summary>
    public async Task<JournalEntry> ReverseAsync(string id, string reason, string etag, Timestamp? accountingDate, string requestId, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw ResourceErrors.Invalid("reason is required");
        }

        var name = Entries.Of(id);
        var original = await entries.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(name);
        if (original.State == JournalEntryState.Reversed)
        {
            return await entries.GetAsync(Entries.IdOf(original.ReversedBy, "reversed_by"), ct) ?? throw ResourceErrors.NotFound(original.ReversedBy);
        }

        if (original.State != JournalEntryState.Posted)
        {
            throw ResourceErrors.FailedPrecondition($"{name} is {original.State}; only POSTED entries are reversed");
        }

        if (etag.Length > 0 && etag != original.Etag)
        {
            throw ResourceErrors.Aborted($"{name} changed since etag {etag} (now {original.Etag}); read it again");
        }

        var reversalId = ResourceName.NewId("", "journal_entry_id");
        var now = Now();
        var mirror = JournalRules.Mirror(original, Entries.Of(reversalId), reason, accountingDate ?? now, now);
        var reversal = await entries.CreateAsync(reversalId, mirror, $"reverse:{original.Name}", ct);
        var posted = reversal.State == JournalEntryState.Posted ? reversal : await PostAsync(Entries.IdOf(reversal.Name, "name"), "", "", ct);
        await MarkReversedAsync(id, posted, reason, requestId, ct);
        return posted;
    }

    /// <summary>
    /// Books the cost of consumed supplies at a cost center with finance's own GL accounts: records the entry once per
    /// request id (which is also its idempotency key) and posts it.
    /// </summary>
    public Task<JournalEntry> PostSuppliesCostAsync(PostSuppliesCostRequest request, CancellationToken ct)
    {
        SuppliesCost.Validate(request);
        return RecordAndPostAsync(request.CostCenter, request.RequestId, costCenter => SuppliesCost.Entry(request, costCenter, options.Value), ct);
    }

    /// <summary>
    /// Books the liability of a matched supplier invoice with finance's own GL accounts: records the entry once per
    /// request id (which is also its idempotency key) and posts it.
    /// </summary>
    public Task<JournalEntry> PostSupplierInvoiceLiabilityAsync(PostSupplierInvoiceLiabilityRequest request, CancellationToken ct)
    {
        SupplierLiability.Validate(request);
        return RecordAndPostAsync(request.CostCenter, request.RequestId, costCenter => SupplierLiability.Entry(request, costCenter, options.Value), ct);
    }

    // A retry finds the entry of the first call by its request id and only posts it (again: the ERP books it once).
    private async Task<JournalEntry> RecordAndPostAsync(string costCenterName, string requestId, Func<CostCenter, JournalEntry> entryFor, CancellationToken ct)
    {
        var entry = await entries.FindByRequestAsync(requestId, ct);
        if (entry is null)
        {
            var costCenter = await ActiveCostCenterAsync(costCenterName, "cost_center", ct);
            entry = await CreateAsync(entryFor(costCenter), "", requestId, ct);
        }

        return await PostAsync(Entries.IdOf(entry.Name, "name"), "", requestId, ct);
    }

    private async Task MarkReversedAsync(string id, JournalEntry reversal, string reason, string requestId, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var current = await entries.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(Entries.Of(id));
            if (current.State == JournalEntryState.Reversed)
            {
                return;
            }

            var reversed = current.Clone();
            reversed.State = JournalEntryState.Reversed;
            reversed.ReversedBy = reversal.Name;
            reversed.UpdateTime = Now();
            if (await entries.TryReplaceAsync(id, reversed, current.Etag, [], ct, [entries.Announce(id, FinanceEvents.Reversed(events, current, reversal, reason, requestId))]))
            {
                return;
            }
        }

        throw ResourceErrors.Aborted($"{Entries.Of(id)} kept changing; retry the reversal (it is posted once)");
    }

    // Master data keeps the cost centers: each line's must exist and take postings. GL accounts are the ERP's to
    // check (it refuses an unknown account when the entry is posted): Mesh keeps no chart of accounts.
    private async Task CheckCostCentersAsync(JournalEntry entry, CancellationToken ct)
    {
        foreach (var (name, index) in entry.Lines.Select((line, index) => (line.CostCenter, index)).Where(l => l.CostCenter.Length > 0).DistinctBy(l => l.CostCenter))
        {
            await ActiveCostCenterAsync(name, $"journal_entry.lines[{index}].cost_center", ct);
        }
    }

    private async Task<CostCenter> ActiveCostCenterAsync(string name, string field, CancellationToken ct)
    {
        var costCenter = await costCenters.FindAsync(name, ct) ?? throw ResourceErrors.FailedPrecondition($"{field} {name} does not exist in master data");
        return costCenter.State == CostCenterState.Inactive
            ? throw ResourceErrors.FailedPrecondition($"{field} {name} is INACTIVE and takes no new postings")
            : costCenter;
    }

    private Timestamp Now() => Timestamp.FromDateTimeOffset(time.GetUtcNow());

    [LoggerMessage(Level = LogLevel.Warning, Message = "The ERP refused {Entry}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string entry, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The ERP did not accept {Entry}: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string entry, string reason);
}
