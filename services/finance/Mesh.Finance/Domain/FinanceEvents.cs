using Mesh.Contracts.Finance.V1;
using Mesh.Resources;

namespace Mesh.Finance.Domain;

/// <summary>
/// The events journal entries announce, with ids derived from the entry ("journalEntries/{id}.cost-posted") and the
/// entry's source document (e.g. the ItemConsumed event behind a cost) as their correlation.
/// </summary>
public static class FinanceEvents
{
    /// <summary>What a POSTED entry announces: PayablePosted for a supplier invoice's liability, else its CostPosted, if any.</summary>
    public static Google.Protobuf.IMessage? Posted(ContractEvents events, JournalEntry posted, string requestId, FinanceOptions accounts) =>
        posted.Source == JournalEntrySource.SupplierInvoice ? PayablePosted(events, posted, requestId, accounts) : CostPosted(events, posted, requestId);

    /// <summary>PayablePosted for a POSTED supplier invoice entry: its credit to accounts payable is what is owed.</summary>
    public static PayablePosted? PayablePosted(ContractEvents events, JournalEntry posted, string requestId, FinanceOptions accounts) =>
        posted.Lines.FirstOrDefault(l => l.AmountCase == JournalLine.AmountOneofCase.Credit && l.GlAccount == accounts.AccountsPayableAccount) is not { } line ? null : new PayablePosted
        {
            Context = events.Context($"{posted.Name}.payable-posted", posted.PostTime.ToDateTimeOffset(), requestId.Length > 0 ? requestId : posted.IdempotencyKey, posted.SourceDocument),
            JournalEntry = posted.Name,
            ErpDocumentNumber = posted.ErpDocumentNumber,
            GlAccount = line.GlAccount,
            Amount = line.Credit,
            SourceDocument = posted.SourceDocument,
        };

    /// <summary>
    /// CostPosted for a POSTED entry: its first debit line with a cost center is the cost booked there. None for a
    /// reversal (JournalEntryReversed announces that) or an entry that charges no cost center.
    /// </summary>
    public static CostPosted? CostPosted(ContractEvents events, JournalEntry posted, string requestId)
    {
        if (posted.Source == JournalEntrySource.Reversal
            || posted.Lines.FirstOrDefault(l => l.AmountCase == JournalLine.AmountOneofCase.Debit && l.CostCenter.Length > 0) is not { } line)
        {
            return null;
        }

        return new CostPosted
        {
            Context = events.Context($"{posted.Name}.cost-posted", posted.PostTime.ToDateTimeOffset(), requestId.Length > 0 ? requestId : posted.IdempotencyKey, posted.SourceDocument),
            JournalEntry = posted.Name,
            ErpDocumentNumber = posted.ErpDocumentNumber,
            CostCenter = line.CostCenter,
            GlAccount = line.GlAccount,
            Amount = line.Debit,
            SourceDocument = posted.SourceDocument,
            LineNumber = line.LineNumber,
        };
    }

    /// <summary>JournalEntryReversed for <paramref name="original"/>, cancelled by the posted <paramref name="reversal"/>.</summary>
    public static JournalEntryReversed Reversed(ContractEvents events, JournalEntry original, JournalEntry reversal, string reason, string requestId) => new()
    {
        Context = events.Context($"{original.Name}.reversed", reversal.UpdateTime.ToDateTimeOffset(), requestId, original.SourceDocument),
        JournalEntry = original.Name,
        ErpDocumentNumber = original.ErpDocumentNumber,
        ReversalJournalEntry = reversal.Name,
        ReversalErpDocumentNumber = reversal.ErpDocumentNumber,
        Reason = reason,
        SourceDocument = original.SourceDocument,
    };
}
