using System.Text.Json;

namespace Mesh.ErpStandIn;

/// <summary>
/// The ERP's general ledger, in memory: postings keyed by their idempotency key, as cloud ERP APIs keep them.
/// The same key with the same body replays the first answer; the same key with another body is a conflict.
/// </summary>
public sealed class Ledger
{
    private readonly object gate = new();
    private readonly Dictionary<string, (string Body, JournalEntry Entry)> byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JournalEntry> byDocument = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ErpItem> items = new(StringComparer.OrdinalIgnoreCase)
    {
        ["GAUZE-4X4"] = new("GAUZE-4X4", "Gauze sponge 4x4 in, sterile", "EA", new Amount("USD", 12)),
        ["SUTURE-3-0"] = new("SUTURE-3-0", "Suture 3-0 nylon", "EA", new Amount("USD", 385)),
        ["STENT-DES-3X18"] = new("STENT-DES-3X18", "Drug-eluting stent 3.0 x 18 mm", "EA", new Amount("USD", 98_500)),
    };

    private int postings;
    private int replays;
    private int rejected;

    /// <summary>The outcome of a posting.</summary>
    public enum Outcome
    {
        /// <summary>Posted now.</summary>
        Created,

        /// <summary>Posted before with this key and body: the first answer again.</summary>
        Replayed,

        /// <summary>The key was used with another body.</summary>
        KeyReused,
    }

    /// <summary>Posts an entry once per idempotency key.</summary>
    public (Outcome Outcome, JournalEntry? Entry) Post(string idempotencyKey, JournalEntryRequest request)
    {
        var body = JsonSerializer.Serialize(request);
        lock (gate)
        {
            if (byKey.TryGetValue(idempotencyKey, out var existing))
            {
                if (existing.Body != body)
                {
                    rejected++;
                    return (Outcome.KeyReused, null);
                }

                replays++;
                return (Outcome.Replayed, existing.Entry);
            }

            postings++;
            var entry = new JournalEntry($"JE-{postings:D8}", "POSTED", DateTimeOffset.UtcNow, request);
            byKey[idempotencyKey] = (body, entry);
            byDocument[entry.DocumentNumber] = entry;
            return (Outcome.Created, entry);
        }
    }

    /// <summary>Counts a refused request (validation).</summary>
    public void Reject()
    {
        lock (gate)
        {
            rejected++;
        }
    }

    /// <summary>A posted entry, or null.</summary>
    public JournalEntry? Find(string documentNumber)
    {
        lock (gate)
        {
            return byDocument.GetValueOrDefault(documentNumber);
        }
    }

    /// <summary>Posted entries in document-number order, after <paramref name="after"/> (exclusive), at most <paramref name="limit"/>.</summary>
    public List<JournalEntry> Entries(string? after, int limit)
    {
        lock (gate)
        {
            // Document numbers are zero-padded, so ordinal order is posting order.
            return [.. byDocument.Values
                .Where(e => after is null || string.CompareOrdinal(e.DocumentNumber, after) > 0)
                .OrderBy(e => e.DocumentNumber, StringComparer.Ordinal)
                .Take(limit)];
        }
    }

    /// <summary>An item of the item master, or null.</summary>
    public ErpItem? Item(string itemNumber) => items.GetValueOrDefault(itemNumber);

    /// <summary>What has happened so far.</summary>
    public LedgerStats Stats()
    {
        lock (gate)
        {
            return new LedgerStats(postings, replays, rejected);
        }
    }
}
