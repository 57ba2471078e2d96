using System.Collections.Concurrent;

namespace Mesh.Registry.Storage;

/// <summary>
/// Serializes registrations to one subject within this process, so concurrent writers queue instead
/// of repeatedly losing the optimistic check. Across registry instances the Lua check still decides.
/// </summary>
public sealed class SubjectLocks
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);

    /// <summary>Waits for the subject's lock; dispose the result to release it.</summary>
    public async Task<IDisposable> AcquireAsync(string subject, CancellationToken cancellationToken)
    {
        var gate = locks.GetOrAdd(subject, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Release(gate);
    }

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
