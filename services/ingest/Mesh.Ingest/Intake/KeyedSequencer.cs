namespace Mesh.Ingest.Intake;

/// <summary>
/// Runs work for one key at a time, in the order it arrives, while work for other keys runs in parallel: the
/// events of one patient encounter are delivered in the order their messages were accepted.
/// </summary>
public sealed class KeyedSequencer
{
    private readonly Dictionary<string, (SemaphoreSlim Gate, int Users)> gates = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="work"/> once every earlier work for <paramref name="key"/> has finished.</summary>
    public async Task<T> RunAsync<T>(string key, Func<Task<T>> work, CancellationToken ct)
    {
        SemaphoreSlim gate;
        lock (gates)
        {
            var entry = gates.TryGetValue(key, out var existing) ? existing : (Gate: new SemaphoreSlim(1, 1), Users: 0);
            gates[key] = (entry.Gate, entry.Users + 1);
            gate = entry.Gate;
        }

        try
        {
            // SemaphoreSlim queues waiters first come, first served.
            await gate.WaitAsync(ct);
            try
            {
                return await work();
            }
            finally
            {
                gate.Release();
            }
        }
        finally
        {
            lock (gates)
            {
                var entry = gates[key];
                if (entry.Users == 1)
                {
                    gates.Remove(key);
                    entry.Gate.Dispose();
                }
                else
                {
                    gates[key] = (entry.Gate, entry.Users - 1);
                }
            }
        }
    }
}
