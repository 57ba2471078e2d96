namespace Mesh.Runtime.Components;

/// <summary>
/// A state store whose values are encrypted at rest (<see cref="StateEncryption"/>): every value written through it,
/// also inside transactions, is stored encrypted, and every value read is decrypted with the key its record names.
/// ETags, TTLs and first-write rules are the inner store's.
/// </summary>
public sealed class EncryptedStateStore(IStateStore inner, StateEncryption encryption) : IStateStore
{
    /// <summary>The encryption applied.</summary>
    public StateEncryption Encryption { get; } = encryption;

    /// <inheritdoc />
    public async Task<StateItem?> GetAsync(string key, CancellationToken cancellationToken) =>
        await inner.GetAsync(key, cancellationToken) is { } item ? item with { Value = Encryption.Decrypt(item.Value.Span) } : null;

    /// <inheritdoc />
    public Task SetAsync(StateSetRequest request, CancellationToken cancellationToken) => inner.SetAsync(Encrypted(request), cancellationToken);

    /// <inheritdoc />
    public Task DeleteAsync(StateDeleteRequest request, CancellationToken cancellationToken) => inner.DeleteAsync(request, cancellationToken);

    /// <inheritdoc />
    public Task TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken) =>
        inner.TransactAsync([.. operations.Select(o => o.Set is { } set ? o with { Set = Encrypted(set) } : o)], cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private StateSetRequest Encrypted(StateSetRequest request) => request with { Value = Encryption.Encrypt(request.Value.Span) };
}
