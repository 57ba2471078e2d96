using System.Text.Json;

namespace Mesh.ErpStandIn;

/// <summary>
/// The ERP's general ledger: journal entries kept in its state store (<see cref="StateBook{T}"/>) and numbered in
/// posting order, each posted once per idempotency key, as cloud ERP APIs keep them. The same key with the same body
/// replays the first answer; the same key with another body is a conflict; both hold across concurrent requests and
/// restarts.
/// </summary>
public sealed class Ledger(StateBook<JournalEntry> entries, TimeProvider time)
{
    private static readonly Dictionary<string, ErpItem> Items = new(StringComparer.OrdinalIgnoreCase)
    {
        ["GAUZE-4X4"] = new("GAUZE-4X4", "Gauze sponge 4x4 in, sterile", "EA", new Amount("USD", 12)),
        ["SUTURE-3-0"] = new("SUTURE-3-0", "Suture 3-0 nylon", "EA", new Amount("USD", 385)),
        ["STENT-DES-3X18"] = new("STENT-DES-3X18", "Drug-eluting stent 3.0 x 18 mm", "EA", new Amount("USD", 98_500)),
    };

    private int replays;
    private int rejected;

    /// <summary>Posts an entry once per idempotency key.</summary>
    public async Task<(BookOutcome Outcome, JournalEntry? Entry)> PostAsync(string idempotencyKey, JournalEntryRequest request, CancellationToken ct)
    {
        var posted = await entries.AddOnceAsync(idempotencyKey, JsonSerializer.Serialize(request), number => new JournalEntry(number, "POSTED", time.GetUtcNow(), request), ct);
        if (posted.Outcome == BookOutcome.Replayed)
        {
            Interlocked.Increment(ref replays);
        }
        else if (posted.Outcome == BookOutcome.KeyReused)
        {
            Interlocked.Increment(ref rejected);
        }

        return posted;
    }

    /// <summary>Counts a refused request (validation).</summary>
    public void Reject() => Interlocked.Increment(ref rejected);

    /// <summary>A posted entry, or null.</summary>
    public Task<JournalEntry?> FindAsync(string documentNumber, CancellationToken ct) => entries.FindAsync(documentNumber, ct);

    /// <summary>
    /// Posted entries in document-number order after <paramref name="after"/> (exclusive), at most <paramref name="limit"/>;
    /// null when <paramref name="after"/> is not a document number.
    /// </summary>
    public Task<List<JournalEntry>?> EntriesAsync(string? after, int limit, CancellationToken ct) => entries.PageAsync(after, limit, ct);

    /// <summary>An item of the item master, or null.</summary>
    public ErpItem? Item(string itemNumber) => Items.GetValueOrDefault(itemNumber);

    /// <summary>Entries in the ledger, and the replays and refusals this process answered since it started.</summary>
    public async Task<LedgerStats> StatsAsync(CancellationToken ct) =>
        new((int)await entries.CountAsync(ct), Volatile.Read(ref replays), Volatile.Read(ref rejected));
}
