using System.Text.RegularExpressions;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Finance.Erp;
using Mesh.Resources;

namespace Mesh.Finance.Grpc;

/// <summary>
/// mesh.finance.v1.JournalEntryService: balanced journal entries recorded as DRAFT and posted to the ERP under their
/// idempotency key, so a retried post books them once; a posted entry is reversed by a mirror entry posted the same way.
/// </summary>
public sealed partial class JournalEntryApi(
    ResourceStore<JournalEntry> entries, ErpClient erp, CostCenterService.CostCenterServiceClient costCenters, ContractEvents events, ILogger<JournalEntryApi> logger)
    : JournalEntryService.JournalEntryServiceBase
{
    // The ERP's limit on Idempotency-Key.
    private const int MaxIdempotencyKeyLength = 200;
    private static readonly ResourceName Entries = new("journalEntries");
    private static readonly ResourceName CostCenters = new("costCenters");

    /// <inheritdoc />
    public override async Task<JournalEntry> GetJournalEntry(GetJournalEntryRequest request, ServerCallContext context) =>
        await entries.GetAsync(Entries.IdOf(request.Name, "name"), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);

    /// <inheritdoc />
    public override async Task<ListJournalEntriesResponse> ListJournalEntries(ListJournalEntriesRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var (page, next) = await Paging.PageAsync(
            await entries.IdsAsync(ct), request.PageSize, request.PageToken, ids => entries.GetManyAsync(ids, ct),
            entry => (request.State == JournalEntryState.Unspecified || entry.State == request.State)
                && (request.Source == JournalEntrySource.Unspecified || entry.Source == request.Source)
                && (request.SourceDocument.Length == 0 || entry.SourceDocument == request.SourceDocument));
        return new ListJournalEntriesResponse { JournalEntries = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override async Task<JournalEntry> CreateJournalEntry(CreateJournalEntryRequest request, ServerCallContext context)
    {
        var entry = request.JournalEntry?.Clone() ?? throw ResourceErrors.Invalid("journal_entry is required");
        Validate(entry);
        // A retry gets what the first attempt recorded, even if a cost center has been closed since.
        if (await entries.FindByRequestAsync(request.RequestId, context.CancellationToken) is { } earlier)
        {
            return earlier;
        }

        await CheckCostCentersAsync(entry, context.CancellationToken);
        var id = ResourceName.NewId(request.JournalEntryId, "journal_entry_id");
        var now = Timestamp.FromDateTime(DateTime.UtcNow);
        entry.Name = Entries.Of(id);
        entry.IdempotencyKey = entry.IdempotencyKey.Length > 0 ? entry.IdempotencyKey : request.RequestId.Length > 0 ? request.RequestId : entry.Name;
        if (entry.IdempotencyKey.Length > MaxIdempotencyKeyLength)
        {
            throw ResourceErrors.Invalid($"journal_entry.idempotency_key (or the request_id it defaults to) must be at most {MaxIdempotencyKeyLength} characters");
        }

        if (entry.PostingPeriod.Length == 0)
        {
            entry.PostingPeriod = PeriodOf(entry.AccountingDate);
        }

        for (var i = 0; i < entry.Lines.Count; i++)
        {
            entry.Lines[i].LineNumber = i + 1;
        }

        entry.State = JournalEntryState.Draft;
        entry.ErpDocumentNumber = "";
        entry.Reverses = "";
        entry.ReversedBy = "";
        entry.FailureReason = "";
        entry.PostTime = null;
        entry.CreateTime = now;
        entry.UpdateTime = now;
        return await entries.CreateAsync(id, entry, request.RequestId, context.CancellationToken);
    }

    /// <inheritdoc />
    public override async Task<JournalEntry> PostJournalEntry(PostJournalEntryRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var id = Entries.IdOf(request.Name, "name");
        var current = await entries.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(request.Name);
        // Checked before the etag: a retried post whose reply was lost carries the etag from before it.
        if (current.State == JournalEntryState.Posted)
        {
            return current;
        }

        if (current.State is not (JournalEntryState.Draft or JournalEntryState.Failed))
        {
            throw ResourceErrors.FailedPrecondition($"{request.Name} is {current.State}; only DRAFT and FAILED entries are posted");
        }

        if (request.Etag.Length > 0 && request.Etag != current.Etag)
        {
            throw ResourceErrors.Aborted($"{request.Name} changed since etag {request.Etag} (now {current.Etag}); read it again");
        }

        var outcome = await erp.PostAsync(current, ct);
        if (outcome is ErpUnreachable unreachable)
        {
            LogUnreachable(logger, request.Name, unreachable.Reason);
            throw new RpcException(new Status(
                StatusCode.Unavailable,
                $"the ERP did not accept {request.Name}: {unreachable.Reason}; the entry stays {current.State} and a retry posts it once"));
        }

        var updated = current.Clone();
        updated.UpdateTime = Timestamp.FromDateTime(DateTime.UtcNow);
        if (outcome is ErpRefused refused)
        {
            updated.State = JournalEntryState.Failed;
            updated.FailureReason = $"{refused.Code}: {refused.Message}";
            LogRefused(logger, request.Name, updated.FailureReason);
            // Stored unless someone else wrote the entry meanwhile; the refusal is the answer either way.
            await entries.TryReplaceAsync(id, updated, current.Etag, ct);
            throw ResourceErrors.FailedPrecondition($"the ERP refused {request.Name}: {updated.FailureReason}");
        }

        var posted = (ErpPosted)outcome;
        updated.State = JournalEntryState.Posted;
        updated.ErpDocumentNumber = posted.DocumentNumber;
        updated.PostTime = Timestamp.FromDateTimeOffset(posted.PostedAt);
        updated.FailureReason = "";
        return await SaveAsync(id, current, updated, ct);
    }

    /// <inheritdoc />
    public override async Task<JournalEntry> ReverseJournalEntry(ReverseJournalEntryRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var id = Entries.IdOf(request.Name, "name");
        if (string.IsNullOrWhiteSpace(request.Reason))
        {
            throw ResourceErrors.Invalid("reason is required");
        }

        var original = await entries.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(request.Name);
        // A retry after the reversal landed gets that reversal, whatever etag it carries, and its event once more
        // (same id), in case the first attempt stopped before publishing it.
        if (original.State == JournalEntryState.Reversed)
        {
            var earlier = await entries.GetAsync(Entries.IdOf(original.ReversedBy, "reversed_by"), ct) ?? throw ResourceErrors.NotFound(original.ReversedBy);
            await PublishReversedAsync(original, earlier, request, ct);
            return earlier;
        }

        if (original.State != JournalEntryState.Posted)
        {
            throw ResourceErrors.FailedPrecondition($"{request.Name} is {original.State}; only POSTED entries are reversed");
        }

        if (request.Etag.Length > 0 && request.Etag != original.Etag)
        {
            throw ResourceErrors.Aborted($"{request.Name} changed since etag {request.Etag} (now {original.Etag}); read it again");
        }

        // An entry is reversed once, so the reversal is keyed by the entry itself: every retry, whatever its
        // request_id, finds the reversal the first attempt created.
        var reversalId = ResourceName.NewId("", "journal_entry_id");
        var reversal = await entries.CreateAsync(reversalId, MirrorOf(original, Entries.Of(reversalId), request), $"reverse:{original.Name}", ct);
        var posted = reversal.State == JournalEntryState.Posted
            ? reversal
            : await PostJournalEntry(new PostJournalEntryRequest { Name = reversal.Name }, context);
        await MarkReversedAsync(id, posted.Name, ct);
        await PublishReversedAsync(original, posted, request, ct);
        return posted;
    }

    private Task PublishReversedAsync(JournalEntry original, JournalEntry reversal, ReverseJournalEntryRequest request, CancellationToken ct) =>
        events.PublishAsync(
            new JournalEntryReversed
            {
                Context = events.Context($"{original.Name}.reversed", reversal.UpdateTime.ToDateTimeOffset(), causationId: request.RequestId),
                JournalEntry = original.Name,
                ErpDocumentNumber = original.ErpDocumentNumber,
                ReversalJournalEntry = reversal.Name,
                ReversalErpDocumentNumber = reversal.ErpDocumentNumber,
                Reason = request.Reason,
                SourceDocument = original.SourceDocument,
            },
            ct);

    // The mirror entry: every line on the other side, under an idempotency key derived from the original's.
    private static JournalEntry MirrorOf(JournalEntry original, string name, ReverseJournalEntryRequest request)
    {
        var now = Timestamp.FromDateTime(DateTime.UtcNow);
        var key = $"{original.IdempotencyKey}.reversal";
        var mirror = new JournalEntry
        {
            Name = name,
            CompanyCode = original.CompanyCode,
            Ledger = original.Ledger,
            // The contract's default is the day of the reversal: the original's period may be closed by now.
            AccountingDate = request.AccountingDate ?? now,
            PostingPeriod = PeriodOf(request.AccountingDate ?? now),
            Description = $"Reversal of {original.Name}: {request.Reason}",
            Source = JournalEntrySource.Reversal,
            SourceDocument = original.Name,
            IdempotencyKey = key.Length <= MaxIdempotencyKeyLength ? key : $"reversal:{original.Name}",
            Reverses = original.Name,
            State = JournalEntryState.Draft,
            CreateTime = now,
            UpdateTime = now,
        };
        foreach (var line in original.Lines)
        {
            var flipped = line.Clone();
            if (line.AmountCase == JournalLine.AmountOneofCase.Debit)
            {
                flipped.Credit = line.Debit;
            }
            else
            {
                flipped.Debit = line.Credit;
            }

            mirror.Lines.Add(flipped);
        }

        return mirror;
    }

    private async Task MarkReversedAsync(string id, string reversal, CancellationToken ct)
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
            reversed.ReversedBy = reversal;
            reversed.UpdateTime = Timestamp.FromDateTime(DateTime.UtcNow);
            if (await entries.TryReplaceAsync(id, reversed, current.Etag, ct))
            {
                return;
            }
        }

        throw ResourceErrors.Aborted($"{Entries.Of(id)} kept changing; retry the reversal (it is posted once)");
    }

    // Calendar fiscal years until the company codes' fiscal calendars are known here.
    private static string PeriodOf(Timestamp accountingDate)
    {
        var date = accountingDate.ToDateTime();
        return $"{date.Year:D4}-{date.Month:D3}";
    }

    // A concurrent post of the same entry books the same ERP document (same idempotency key), so losing the race to a
    // POSTED entry is success.
    private async Task<JournalEntry> SaveAsync(string id, JournalEntry current, JournalEntry updated, CancellationToken ct)
    {
        if (await entries.TryReplaceAsync(id, updated, current.Etag, ct))
        {
            return await entries.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(current.Name);
        }

        return await entries.GetAsync(id, ct) is { State: JournalEntryState.Posted } after
            ? after
            : throw ResourceErrors.Aborted($"{current.Name} was changed by another writer; read it again");
    }

    private static void Validate(JournalEntry entry)
    {
        if (string.IsNullOrWhiteSpace(entry.CompanyCode))
        {
            throw ResourceErrors.Invalid("journal_entry.company_code is required");
        }

        if (entry.AccountingDate is null)
        {
            throw ResourceErrors.Invalid("journal_entry.accounting_date is required");
        }

        if (entry.PostingPeriod.Length > 0 && !PeriodPattern().IsMatch(entry.PostingPeriod))
        {
            throw ResourceErrors.Invalid("journal_entry.posting_period must be YYYY-PPP, e.g. 2025-003");
        }

        switch (entry.Source)
        {
            case JournalEntrySource.Unspecified:
                throw ResourceErrors.Invalid("journal_entry.source is required");
            case JournalEntrySource.Reversal:
                throw ResourceErrors.Invalid("journal_entry.source REVERSAL is set only by ReverseJournalEntry");
        }

        if (entry.Lines.Count < 2)
        {
            throw ResourceErrors.Invalid($"journal_entry.lines needs at least two lines (got {entry.Lines.Count})");
        }

        for (var i = 0; i < entry.Lines.Count; i++)
        {
            ValidateLine(entry.Lines[i], $"journal_entry.lines[{i}]");
        }

        var currencies = entry.Lines.Select(Amount).Select(m => m.CurrencyCode).Distinct().ToList();
        if (currencies.Count > 1)
        {
            throw ResourceErrors.Invalid($"journal_entry.lines mix currencies ({string.Join(", ", currencies)}); an entry has one currency");
        }

        var debits = entry.Lines.Where(l => l.AmountCase == JournalLine.AmountOneofCase.Debit).Sum(l => l.Debit.ToDecimal());
        var credits = entry.Lines.Where(l => l.AmountCase == JournalLine.AmountOneofCase.Credit).Sum(l => l.Credit.ToDecimal());
        if (debits != credits)
        {
            throw ResourceErrors.Invalid($"journal_entry.lines: debits {Money.Of(currencies[0], debits).Display()} and credits {Money.Of(currencies[0], credits).Display()} differ");
        }
    }

    // Master data keeps the cost centers: each line's must exist and take postings. GL accounts are the ERP's to
    // check (it refuses an unknown account when the entry is posted): Mesh keeps no chart of accounts.
    private async Task CheckCostCentersAsync(JournalEntry entry, CancellationToken ct)
    {
        foreach (var (name, index) in entry.Lines.Select((line, index) => (line.CostCenter, index)).Where(l => l.CostCenter.Length > 0).DistinctBy(l => l.CostCenter))
        {
            CostCenter costCenter;
            try
            {
                costCenter = await costCenters.GetCostCenterAsync(new GetCostCenterRequest { Name = name }, cancellationToken: ct);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                throw ResourceErrors.FailedPrecondition($"journal_entry.lines[{index}].cost_center {name} does not exist in master data");
            }
            catch (RpcException e)
            {
                throw ResourceErrors.DependencyFailed($"master data could not confirm cost center {name}", e);
            }

            if (costCenter.State == CostCenterState.Inactive)
            {
                throw ResourceErrors.FailedPrecondition($"journal_entry.lines[{index}].cost_center {name} is INACTIVE and takes no new postings");
            }
        }
    }

    private static void ValidateLine(JournalLine line, string field)
    {
        if (string.IsNullOrWhiteSpace(line.GlAccount))
        {
            throw ResourceErrors.Invalid($"{field}.gl_account is required");
        }

        if (line.CostCenter.Length > 0)
        {
            CostCenters.IdOf(line.CostCenter, $"{field}.cost_center");
        }

        if (line.AmountCase == JournalLine.AmountOneofCase.None)
        {
            throw ResourceErrors.Invalid($"{field} needs exactly one of debit or credit");
        }

        var side = $"{field}.{(line.AmountCase == JournalLine.AmountOneofCase.Debit ? "debit" : "credit")}";
        var amount = Amount(line);
        if (amount.CurrencyCode.Length == 0)
        {
            throw ResourceErrors.Invalid($"{side}.currency_code is required");
        }

        if (amount.ToDecimal() <= 0)
        {
            throw ResourceErrors.Invalid($"{side} must be positive");
        }

        if (!ErpClient.IsWholeCents(amount))
        {
            throw ResourceErrors.Invalid($"{side} {amount.Display()} has fractions of a cent; the ERP books whole cents");
        }
    }

    private static Money Amount(JournalLine line) => line.Debit ?? line.Credit;

    [GeneratedRegex(@"\A[0-9]{4}-[0-9]{3}\z")]
    private static partial Regex PeriodPattern();

    [LoggerMessage(Level = LogLevel.Warning, Message = "The ERP refused {Entry}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string entry, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The ERP did not accept {Entry}: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string entry, string reason);
}
