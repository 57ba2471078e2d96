using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Runtime.Tests;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also tells a test when the code under test has started a wait: each timer
/// created with a due time is recorded, so a test can wait for "the component now waits 700 ms" before it moves the
/// clock, instead of sleeping, and then ask whether that wait has ended. Starts at the real current time, so
/// timestamps stay plausible.
/// </summary>
public sealed class TestClock() : FakeTimeProvider(DateTimeOffset.UtcNow)
{
    private readonly ConcurrentQueue<Wait> created = new();
    private readonly SemaphoreSlim signal = new(0);

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime == Timeout.InfiniteTimeSpan)
        {
            return base.CreateTimer(callback, state, dueTime, period);
        }

        var wait = new Wait(dueTime);
        var timer = base.CreateTimer(s => { wait.Elapse(); callback(s); }, state, dueTime, period);
        created.Enqueue(wait);
        signal.Release();
        return timer;
    }

    /// <summary>
    /// Waits (real time, at most 10 s) until a timer of <paramref name="dueTime"/> has been created since the last call;
    /// returns it, to ask whether it has fired.
    /// </summary>
    public async Task<Wait> WaitForTimerAsync(TimeSpan dueTime)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            while (created.TryDequeue(out var wait))
            {
                if (wait.DueTime == dueTime)
                {
                    return wait;
                }
            }

            try
            {
                await signal.WaitAsync(patience.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no timer of {dueTime} was started");
            }
        }
    }

    /// <summary>A timer the code under test started: its due time, and whether it has fired (the fake fires it inside Advance).</summary>
    public sealed class Wait(TimeSpan dueTime)
    {
        private int fired;

        /// <summary>The due time it was created with.</summary>
        public TimeSpan DueTime => dueTime;

        /// <summary>Whether the clock has reached its due time.</summary>
        public bool Fired => Volatile.Read(ref fired) == 1;

        internal void Elapse() => Volatile.Write(ref fired, 1);
    }
}
