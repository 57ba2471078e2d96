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
/// <param name="dapr">The Dapr client.</param>
/// <param name="store">The state store component.</param>
/// <param name="kind">The prefix of the book's keys, e.g. "journal-entry".</param>
/// <param name="numberPrefix">The prefix of the record numbers, e.g. "JE-".</param>
public sealed class StateBook<T>(DaprClient dapr, string store, string kind, string numberPrefix)
    where T : class
{
    private const int Attempts = 20;
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };

    // Every addition takes the next number, so additions from this process would only collide on the count's ETag:
    // they go one at a time here, and the ETags keep another process's additions apart. (One at a time also keeps a key
    // from being added twice on daprd, whose Redis transactions neither pass first-write nor roll back.)
    private readonly SemaphoreSlim adding = new(1, 1);

    /// <summary>
    /// Adds the record <paramref name="create"/> makes from the next number, once per <paramref name="idempotencyKey"/>:
    /// the same key with the same <paramref name="body"/> gives the record added first, with another body nothing.
    /// </summary>
    public async Task<(BookOutcome Outcome, T? Record)> AddOnceAsync(string idempotencyKey, string body, Func<string, T> create, CancellationToken ct)
    {
        var entryKey = $"{kind}-key:{Fingerprint(idempotencyKey)}";
        var fingerprint = Fingerprint(body);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            await adding.WaitAsync(ct);
            try
            {
                if (await dapr.GetStateAsync<KeyEntry?>(store, entryKey, cancellationToken: ct) is { } earlier)
                {
                    return earlier.Body != fingerprint
                        ? (BookOutcome.KeyReused, null)
                        : (BookOutcome.Replayed, await FindAsync(earlier.Number, ct) ?? throw new InvalidOperationException($"{kind} {earlier.Number} of an idempotency key is missing"));
                }

                var (count, etag) = await dapr.GetStateAndETagAsync<long>(store, CountKey, cancellationToken: ct);
                var number = $"{numberPrefix}{count + 1:D8}";
                var added = create(number);
                // A key that must not exist yet is written first-write without an ETag: refused if it does.
                if (await dapr.TryExecuteStateTransactionAsync(
                    store,
                    [
                        new(CountKey, Encode(count + 1), StateOperationType.Upsert, string.IsNullOrEmpty(etag) ? null : etag, options: FirstWrite),
                        new(entryKey, Encode(new KeyEntry(fingerprint, number)), StateOperationType.Upsert, options: FirstWrite),
                        new(RecordKey(number), Encode(added), StateOperationType.Upsert, options: FirstWrite),
                    ],
                    ct))
                {
                    return (BookOutcome.Created, added);
                }
            }
            finally
            {
                adding.Release();
            }

            // Another process added a record (or the same key) in between: read again.
            await StateTransactions.BackOffAsync(attempt, ct);
        }

        throw new InvalidOperationException($"the {kind} book kept changing while a record was added");
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

        var read = (await dapr.GetBulkStateAsync(store, keys, parallelism: 16, cancellationToken: ct))
            .Where(item => !string.IsNullOrEmpty(item.Value))
            .ToDictionary(item => item.Key, item => item.Value, StringComparer.Ordinal);
        return [.. keys.Where(read.ContainsKey).Select(key => JsonSerializer.Deserialize<T>(read[key], dapr.JsonSerializerOptions)!)];
    }

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
}
