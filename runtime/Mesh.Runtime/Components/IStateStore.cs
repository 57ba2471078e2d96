namespace Mesh.Runtime.Components;

/// <summary>Dapr's concurrency modes for state writes.</summary>
public enum StateConcurrency
{
    /// <summary>The write wins unless it carries a stale ETag (the Dapr default).</summary>
    LastWrite,

    /// <summary>The write needs the current ETag of an existing key; a missing or stale one is refused.</summary>
    FirstWrite,
}

/// <summary>A stored value and its ETag.</summary>
public sealed record StateItem(string Key, ReadOnlyMemory<byte> Value, string ETag);

/// <summary>One write.</summary>
public sealed record StateSetRequest(string Key, ReadOnlyMemory<byte> Value, string? ETag, StateConcurrency Concurrency, int? TtlSeconds = null);

/// <summary>One delete.</summary>
public sealed record StateDeleteRequest(string Key, string? ETag, StateConcurrency Concurrency);

/// <summary>One operation of a transaction: exactly one of <see cref="Set"/> or <see cref="Delete"/>.</summary>
public sealed record StateOperation(StateSetRequest? Set, StateDeleteRequest? Delete);

/// <summary>An ETag did not match (gRPC ABORTED / HTTP 409 in Dapr).</summary>
public sealed class ETagMismatchException(string key) : Exception($"possible etag mismatch. error from state store: ETag mismatch for key '{key}'")
{
    /// <summary>The key whose ETag did not match.</summary>
    public string Key { get; } = key;
}

/// <summary>An ETag is not in the store's format (gRPC INVALID_ARGUMENT / HTTP 400 in Dapr).</summary>
public sealed class InvalidETagException(string key, string etag) : Exception($"invalid etag value '{etag}' for key '{key}'");

/// <summary>
/// A state store component. Keys arrive fully formed (the sidecar applies Dapr's key prefix).
/// ETags are decimal version strings, as state.redis uses.
/// </summary>
public interface IStateStore : IAsyncDisposable
{
    /// <summary>The value and ETag, or null when the key does not exist.</summary>
    Task<StateItem?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Writes with Dapr's ETag rules; throws <see cref="ETagMismatchException"/> or <see cref="InvalidETagException"/>.</summary>
    Task SetAsync(StateSetRequest request, CancellationToken cancellationToken);

    /// <summary>Deletes with Dapr's ETag rules; deleting a missing key without ETag succeeds.</summary>
    Task DeleteAsync(StateDeleteRequest request, CancellationToken cancellationToken);

    /// <summary>Applies every operation or none (Mesh is stricter than Dapr's Redis MULTI here).</summary>
    Task TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken);
}
