using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapr.Client;
using Mesh.Resources;

namespace Mesh.ErpStandIn;

/// <summary>What adding a record once per idempotency key came to.</summary>
public enum BookOutcome
{
    /// <summary>Added now.</summary>
    Created,

    /// <summary>Added before with this key and body: the first record again.</summary>
    Replayed,

    /// <summary>The key was used with another body.</summary>
    KeyReused,
}

/// <summary>
/// Records numbered in sequence ("JE-00000001", ...) in a Dapr state store, where an ERP keeps its ledger or order book:
/// in its database, not in the memory of the process that answers. Each record is added once per idempotency key: the
/// record, the key's entry (a fingerprint of the body and the number it got) and the book's count commit in one state
/// transaction at first-write ETags, so concurrent requests with one key add one record, and a restart continues the
/// numbering and still answers the keys it saw.
/// </summary>
/// <typeparam name="T">The record, stored as JSON.</typeparam>
public sealed class StateBook<T>
    where T : class
{
    private const int Attempts = 20;

    /// <summary>Additions written in one transaction at most.</summary>
    private const int MaxGroup = 64;

    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };

    private readonly DaprClient dapr;
    private readonly string store;
    private readonly string kind;
    private readonly string numberPrefix;

    // Every addition takes the next number, so additions from this process would only collide on the count's ETag: they
    // go in groups (one at a time, each read once and written in one transaction), and the ETags keep another process's
    // additions apart. A key is in a group at most once, which also keeps a key from being added twice on daprd, whose
    // Redis transactions neither pass first-write nor roll back.
    private readonly GroupCommit<Addition, Decided?> additions;

    /// <summary>A book of records in <paramref name="store"/>.</summary>
    /// <param name="dapr">The Dapr client.</param>
    /// <param name="store">The state store component.</param>
    /// <param name="kind">The prefix of the book's keys, e.g. "journal-entry".</param>
    /// <param name="numberPrefix">The prefix of the record numbers, e.g. "JE-".</param>
    public StateBook(DaprClient dapr, string store, string kind, string numberPrefix)
    {
        (this.dapr, this.store, this.kind, this.numberPrefix) = (dapr, store, kind, numberPrefix);
        additions = new(AddGroupAsync, a => a.EntryKey, MaxGroup);
    }

    /// <summary>
    /// Adds the record <paramref name="create"/> makes from the next number, once per <paramref name="idempotencyKey"/>:
    /// the same key with the same <paramref name="body"/> gives the record added first, with another body nothing.
    /// </summary>
    public async Task<(BookOutcome Outcome, T? Record)> AddOnceAsync(string idempotencyKey, string body, Func<string, T> create, CancellationToken ct)
    {
        var addition = new Addition($"{kind}-key:{Fingerprint(idempotencyKey)}", Fingerprint(body), create);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            // The group decides; a replay's record is read here, outside the group, so it holds up no other addition.
            switch (await additions.WriteAsync(addition, ct))
            {
                case { Outcome: BookOutcome.Replayed, Number: var number }:
                    return (BookOutcome.Replayed, await FindAsync(number, ct) ?? throw new InvalidOperationException($"{kind} {number} of an idempotency key is missing"));
                case { } decided:
                    return (decided.Outcome, decided.Record);
            }

            // Another process added a record (or the same key) in between: read again.
            await StateTransactions.BackOffAsync(attempt, ct);
        }

        throw new InvalidOperationException($"the {kind} book kept changing while a record was added");
    }

    // One read of the group's key entries and of the count, one transaction for the records the group adds; null for
    // each addition of a group whose transaction lost an ETag race.
    private async Task<IReadOnlyList<Decided?>> AddGroupAsync(IReadOnlyList<Addition> group)
    {
        var entries = await ReadAsync<KeyEntry>([.. group.Select(a => a.EntryKey)]);
        var (count, etag) = await dapr.GetStateAndETagAsync<long>(store, CountKey);
        var next = count;
        var outcomes = new List<Decided?>();
        var operations = new List<StateTransactionRequest>();
        foreach (var (entryKey, fingerprint, create) in group)
        {
            if (entries.GetValueOrDefault(entryKey) is { } earlier)
            {
                outcomes.Add(new(earlier.Body != fingerprint ? BookOutcome.KeyReused : BookOutcome.Replayed, earlier.Number, null));
                continue;
            }

            var number = $"{numberPrefix}{++next:D8}";
            var added = create(number);
            // A key that must not exist yet is written first-write without an ETag: refused if it does.
            operations.Add(new(entryKey, Encode(new KeyEntry(fingerprint, number)), StateOperationType.Upsert, options: FirstWrite));
            operations.Add(new(RecordKey(number), Encode(added), StateOperationType.Upsert, options: FirstWrite));
            outcomes.Add(new(BookOutcome.Created, number, added));
        }

        if (next == count)
        {
            return outcomes;
        }

        operations.Add(new(CountKey, Encode(next), StateOperationType.Upsert, string.IsNullOrEmpty(etag) ? null : etag, options: FirstWrite));
        return await dapr.TryExecuteStateTransactionAsync(store, operations, CancellationToken.None)
            ? outcomes
            : [.. outcomes.Select(o => o?.Outcome == BookOutcome.Created ? null : o)];
    }

    /// <summary>The record numbered <paramref name="number"/>, or null.</summary>
    public async Task<T?> FindAsync(string number, CancellationToken ct) =>
        IsNumber(number, out _) ? await dapr.GetStateAsync<T?>(store, RecordKey(number), cancellationToken: ct) : null;

    /// <summary>Replaces the record numbered <paramref name="number"/> by what <paramref name="change"/> makes of it, at its ETag; null when it does not exist.</summary>
    public async Task<T?> ChangeAsync(string number, Func<T, T> change, CancellationToken ct)
    {
        if (!IsNumber(number, out _))
        {
            return null;
        }

        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var (current, etag) = await dapr.GetStateAndETagAsync<T?>(store, RecordKey(number), cancellationToken: ct);
            if (current is null)
            {
                return null;
            }

            var changed = change(current);
            if (await dapr.TrySaveStateAsync(store, RecordKey(number), changed, etag, FirstWrite, cancellationToken: ct))
            {
                return changed;
            }

            await StateTransactions.BackOffAsync(attempt, ct);
        }

        throw new InvalidOperationException($"{kind} {number} kept changing while it was changed");
    }

    /// <summary>How many records the book holds.</summary>
    public Task<long> CountAsync(CancellationToken ct) => dapr.GetStateAsync<long>(store, CountKey, cancellationToken: ct);

    /// <summary>
    /// Records in number order after the number <paramref name="after"/> (exclusive; null from the first), at most
    /// <paramref name="limit"/>, read in one bulk call; null when <paramref name="after"/> is not a number of this book.
    /// </summary>
    public async Task<List<T>?> PageAsync(string? after, int limit, CancellationToken ct)
    {
        long from = 0;
        if (after is not null && !IsNumber(after, out from))
        {
            return null;
        }

        var to = Math.Min(await CountAsync(ct), from + limit);
        if (to <= from)
        {
            return [];
        }

        var keys = new List<string>();
        for (var n = from + 1; n <= to; n++)
        {
            keys.Add(RecordKey($"{numberPrefix}{n:D8}"));
        }

        var read = await ReadAsync<T>(keys, ct);
        return [.. keys.Where(read.ContainsKey).Select(key => read[key])];
    }

    // The keys that exist, in one bulk call.
    private async Task<Dictionary<string, TValue>> ReadAsync<TValue>(IReadOnlyList<string> keys, CancellationToken ct = default) =>
        (await dapr.GetBulkStateAsync(store, keys, parallelism: 16, cancellationToken: ct))
            .Where(item => !string.IsNullOrEmpty(item.Value))
            .ToDictionary(item => item.Key, item => JsonSerializer.Deserialize<TValue>(item.Value, dapr.JsonSerializerOptions)!, StringComparer.Ordinal);

    // "JE-00000042": the prefix and digits only (so a caller's text never reaches the store as a key).
    private bool IsNumber(string text, out long number)
    {
        number = 0;
        return text.StartsWith(numberPrefix, StringComparison.Ordinal) && long.TryParse(text.AsSpan(numberPrefix.Length), System.Globalization.NumberStyles.None, null, out number);
    }

    private string CountKey => $"{kind}-count";

    private string RecordKey(string number) => $"{kind}:{number}";

    private byte[] Encode<TValue>(TValue value) => JsonSerializer.SerializeToUtf8Bytes(value, dapr.JsonSerializerOptions);

    // Idempotency keys are the callers' (any characters, up to 200) and bodies can be long: keys and entries hold their SHA-256.
    private static string Fingerprint(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private sealed record KeyEntry(string Body, string Number);

    private sealed record Addition(string EntryKey, string Fingerprint, Func<string, T> Create);

    // What a group decided for an addition: created (with its record), or the number an earlier addition of the key got.
    private sealed record Decided(BookOutcome Outcome, string Number, T? Record);
}
