using System.Text.RegularExpressions;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Resources;

namespace Mesh.Finance.Domain;

/// <summary>
/// What makes a journal entry bookable: balanced, in one currency, in whole cents (the ERP's unit), each line on a GL
/// account with exactly one positive side; and how entries are derived: posting periods, idempotency keys, mirrors.
/// </summary>
public static partial class JournalRules
{
    /// <summary>The ERP's limit on Idempotency-Key.</summary>
    public const int MaxIdempotencyKeyLength = 200;

    /// <summary>The cost centers collection.</summary>
    public static readonly ResourceName CostCenters = new("costCenters");

    /// <summary>INVALID_ARGUMENT naming the field or rule unless <paramref name="entry"/> can be recorded.</summary>
    public static void Validate(JournalEntry entry)
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

    /// <summary>True when the ERP can book <paramref name="money"/> as it is: it takes integer cents.</summary>
    public static bool IsWholeCents(Money money) => decimal.Round(money.ToDecimal(), 2) == money.ToDecimal();

    /// <summary>The posting period of an accounting date, "YYYY-PPP": calendar fiscal years until company calendars are known here.</summary>
    public static string PeriodOf(Timestamp accountingDate)
    {
        var date = accountingDate.ToDateTime();
        return $"{date.Year:D4}-{date.Month:D3}";
    }

    /// <summary>
    /// <paramref name="entry"/> made a new DRAFT named <paramref name="name"/>: output fields cleared, lines numbered,
    /// period derived when unset, idempotency key defaulting to <paramref name="requestId"/> and then the name
    /// (INVALID_ARGUMENT when longer than the ERP takes).
    /// </summary>
    public static void Draft(JournalEntry entry, string name, string requestId, Timestamp now)
    {
        entry.Name = name;
        entry.IdempotencyKey = entry.IdempotencyKey.Length > 0 ? entry.IdempotencyKey : requestId.Length > 0 ? requestId : name;
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
    }

    /// <summary>
    /// The DRAFT reversal of <paramref name="original"/>: every line on the other side, dated
    /// <paramref name="accountingDate"/> (the contract's default is the day of the reversal, because the original's
    /// period may be closed), under an idempotency key derived from the original's.
    /// </summary>
    public static JournalEntry Mirror(JournalEntry original, string name, string reason, Timestamp accountingDate, Timestamp now)
    {
        var key = $"{original.IdempotencyKey}.reversal";
        var mirror = new JournalEntry
        {
            Name = name,
            CompanyCode = original.CompanyCode,
            Ledger = original.Ledger,
            AccountingDate = accountingDate,
            PostingPeriod = PeriodOf(accountingDate),
            Description = $"Reversal of {original.Name}: {reason}",
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

    /// <summary>The amount of a line, whichever side it is on.</summary>
    public static Money Amount(JournalLine line) => line.Debit ?? line.Credit;

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

        if (!IsWholeCents(amount))
        {
            throw ResourceErrors.Invalid($"{side} {amount.Display()} has fractions of a cent; the ERP books whole cents");
        }
    }

    [GeneratedRegex(@"\A[0-9]{4}-[0-9]{3}\z")]
    private static partial Regex PeriodPattern();
}
