using System.Globalization;

namespace Mesh.Runtime.Components;

/// <summary>
/// <c>state.in-memory</c>: the same ETag, first-write, TTL and all-or-nothing transaction behaviour as
/// <see cref="RedisStateStore"/>, in this process's memory. Per-request <c>ttlInSeconds</c> wins over the
/// component's; without either, a write keeps the key's current expiry, as Redis's HSET does.
/// </summary>
public sealed class InMemoryStateStore : IStateStore
{
    /// <summary>The component type.</summary>
    public const string ComponentType = "state.in-memory";

    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(30);

    private readonly Lock gate = new();
    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);
    private readonly long? defaultTtlSeconds;
    private readonly ITimer sweeper;
    private readonly TimeProvider time;

    /// <summary>Reads the component's metadata (only <c>ttlInSeconds</c>).</summary>
    /// <param name="definition">The component.</param>
    /// <param name="time">The clock of TTLs; the system clock by default.</param>
    /// <exception cref="ComponentException">The metadata is invalid.</exception>
    public InMemoryStateStore(ComponentDefinition definition, TimeProvider? time = null)
    {
        defaultTtlSeconds = Parse(definition);
        this.time = time ?? TimeProvider.System;

        // Expired keys are invisible at once; the sweep only frees the memory of those nobody reads again.
        sweeper = this.time.CreateTimer(static state => ((InMemoryStateStore)state!).RemoveExpired(), this, SweepInterval, SweepInterval);
    }

    /// <inheritdoc />
    public Task<StateItem?> GetAsync(string key, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            var entry = Live(key, Now);
            return Task.FromResult(entry is null ? null : new StateItem(key, entry.Data, entry.Version.ToString(CultureInfo.InvariantCulture)));
        }
    }

    /// <inheritdoc />
    public Task SetAsync(StateSetRequest request, CancellationToken cancellationToken) =>
        TransactAsync([new StateOperation(request, null)], cancellationToken);

    /// <inheritdoc />
    public Task DeleteAsync(StateDeleteRequest request, CancellationToken cancellationToken) =>
        TransactAsync([new StateOperation(null, request)], cancellationToken);

    /// <inheritdoc />
    public Task TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            // Operations run against a staged copy of the keys they touch (null = deleted); the store changes
            // only once every operation has passed its ETag check.
            var now = Now;
            var staged = new Dictionary<string, Entry?>(StringComparer.Ordinal);
            foreach (var operation in operations)
            {
                StateRules.EnsureWellFormed(operation);
                var key = operation.Set?.Key ?? operation.Delete!.Key;
                var current = staged.TryGetValue(key, out var stagedEntry) ? stagedEntry : Live(key, now);
                var currentVersion = current?.Version.ToString(CultureInfo.InvariantCulture);
                if (operation.Set is { } set)
                {
                    if (!StateRules.MaySet(currentVersion, current?.FirstWrite ?? false, StateRules.ExpectedVersion(set)))
                    {
                        throw new ETagMismatchException(key);
                    }

                    var ttl = set.TtlSeconds ?? defaultTtlSeconds;
                    var expiresAt = ttl switch
                    {
                        null => current?.ExpiresAt,
                        > 0 => now + (ttl.Value * 1000),
                        _ => null,
                    };
                    staged[key] = new Entry(
                        set.Value.ToArray(),
                        (current?.Version ?? 0) + 1,
                        (current?.FirstWrite ?? false) || set.Concurrency == StateConcurrency.FirstWrite,
                        expiresAt);
                }
                else
                {
                    if (!StateRules.MayDelete(currentVersion, StateRules.ExpectedVersion(operation.Delete!)))
                    {
                        throw new ETagMismatchException(key);
                    }

                    staged[key] = null;
                }
            }

            foreach (var (key, entry) in staged)
            {
                if (entry is null)
                {
                    entries.Remove(key);
                }
                else
                {
                    entries[key] = entry;
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => sweeper.DisposeAsync();

    /// <summary>Validates the metadata; returns the default <c>ttlInSeconds</c>.</summary>
    internal static long? Parse(ComponentDefinition definition) => new ComponentMetadata(definition).OptionalInteger("ttlInSeconds");

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    private Entry? Live(string key, long now)
    {
        if (!entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (entry.ExpiresAt <= now)
        {
            entries.Remove(key);
            return null;
        }

        return entry;
    }

    private void RemoveExpired()
    {
        lock (gate)
        {
            var now = Now;
            foreach (var (key, entry) in entries)
            {
                if (entry.ExpiresAt <= now)
                {
                    entries.Remove(key);
                }
            }
        }
    }

    /// <summary>A stored value: its bytes, version (the ETag), first-write mark and expiry (Unix ms of the store's clock).</summary>
    private sealed record Entry(byte[] Data, long Version, bool FirstWrite, long? ExpiresAt);
}
