using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Runtime.Tests;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also tells a test when the code under test has started a wait: each timer
/// created with a due time is recorded, so a test can wait for "the component now waits 700 ms" before it moves the
/// clock, instead of sleeping. Starts at the real current time, so timestamps stay plausible.
/// </summary>
public sealed class TestClock() : FakeTimeProvider(DateTimeOffset.UtcNow)
{
    private readonly ConcurrentQueue<TimeSpan> created = new();
    private readonly SemaphoreSlim signal = new(0);

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            created.Enqueue(dueTime);
            signal.Release();
        }

        return timer;
    }

    /// <summary>Waits (real time, at most 10 s) until a timer of <paramref name="dueTime"/> has been created since the last call.</summary>
    public async Task WaitForTimerAsync(TimeSpan dueTime)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            while (created.TryDequeue(out var due))
            {
                if (due == dueTime)
                {
                    return;
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
}
