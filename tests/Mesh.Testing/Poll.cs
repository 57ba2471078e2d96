using System.Diagnostics;

namespace Mesh.Testing;

/// <summary>The one way these tests wait on real processes: a condition polled until it holds, never a sleep.</summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds; throws TimeoutException with <paramref name="failure"/> (read
    /// when it fails, so it can show the latest output) when it does not within <paramref name="patience"/>, or at once
    /// when <paramref name="hopeless"/> says it never will (the process that should make it hold has exited).
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan patience, Func<string> failure, Func<bool>? hopeless = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > patience || (hopeless?.Invoke() ?? false))
            {
                throw new TimeoutException(failure());
            }

            await Task.Delay(Interval);
        }
    }

    /// <inheritdoc cref="UntilAsync(Func{Task{bool}}, TimeSpan, Func{string}, Func{bool})" />
    public static Task UntilAsync(Func<bool> condition, TimeSpan patience, Func<string> failure, Func<bool>? hopeless = null) =>
        UntilAsync(() => Task.FromResult(condition()), patience, failure, hopeless);
}
