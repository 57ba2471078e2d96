using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Testing;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also says which waits the code on it has armed: every due time a timer is
/// created or changed with. A test waits for "a timer of two days is armed" (say, the workflow engine scheduling a
/// saga's escalation) before it advances the clock past it, so it never sleeps and never advances too early. Starts at
/// <paramref name="start"/>.
/// </summary>
public sealed class ArmedTimersClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly ConcurrentQueue<TimeSpan> armed = new();

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Arming(dueTime);
        return new Watched(base.CreateTimer(callback, state, dueTime, period), this);
    }

    /// <summary>
    /// Waits (real time, at most <paramref name="patience"/>) until a timer has been armed for <paramref name="dueTime"/>
    /// from now on this clock since the last call that found one.
    /// </summary>
    public async Task WaitForArmedAsync(TimeSpan dueTime, TimeSpan patience)
    {
        var deadline = DateTimeOffset.UtcNow + patience;
        while (true)
        {
            while (armed.TryDequeue(out var due))
            {
                if (due == dueTime)
                {
                    return;
                }
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"no timer of {dueTime} was armed within {patience}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>
    /// Moves the clock on by each wait of <paramref name="dueTime"/> the code arms, once it is armed, until
    /// <paramref name="until"/> completes; a code that stops arming for <paramref name="patience"/> (real time) fails it.
    /// </summary>
    public async Task AdvanceEachArmedAsync(TimeSpan dueTime, Task until, TimeSpan patience)
    {
        var deadline = DateTimeOffset.UtcNow + patience;
        while (!until.IsCompleted)
        {
            if (armed.TryDequeue(out var due))
            {
                if (due == dueTime)
                {
                    Advance(dueTime);
                    deadline = DateTimeOffset.UtcNow + patience;
                }
            }
            else if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"no timer of {dueTime} was armed within {patience}");
            }
            else
            {
                await Task.Delay(10);
            }
        }
    }

    private void Arming(TimeSpan dueTime)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            armed.Enqueue(dueTime);
        }
    }

    // The fake's timer, telling the clock of each Change (code that keeps one timer re-arms it rather than making another).
    private sealed class Watched(ITimer inner, ArmedTimersClock clock) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            clock.Arming(dueTime);
            return inner.Change(dueTime, period);
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
