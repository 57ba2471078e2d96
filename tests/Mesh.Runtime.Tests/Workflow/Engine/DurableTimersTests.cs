using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using Mesh.Runtime.Workflow;

namespace Mesh.Runtime.Tests.Workflow.Engine;

/// <summary>The engine's durable timers on a fake clock: each fires at its fireAt, not a tick earlier.</summary>
public sealed class DurableTimersTests : IDisposable
{
    private readonly TestClock clock = new();
    private readonly Channel<DueTimer> fired = Channel.CreateUnbounded<DueTimer>();
    private readonly DurableTimers timers;

    public DurableTimersTests() => timers = new DurableTimers(clock, due => fired.Writer.TryWrite(due));

    public void Dispose() => timers.Dispose();

    [Fact]
    public async Task Schedule_FiresAtFireAtAndNotBefore()
    {
        timers.Schedule("saga-1", "exec-1", 7, At(TimeSpan.FromMilliseconds(300)));

        clock.Advance(TimeSpan.FromMilliseconds(299));
        var heldAt299 = timers.Count;
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var due = await NextAsync();

        Assert.Equal(1, heldAt299);
        Assert.Equal(0, timers.Count);
        Assert.Equal(("saga-1", "exec-1", 7), (due.InstanceId, due.ExecutionId, due.TimerId));
    }

    [Fact]
    public void Schedule_TheNoTimeoutSentinel_IsNeverScheduled()
    {
        timers.Schedule("saga-1", "exec-1", 3, new Timestamp { Seconds = 253402300799, Nanos = 999999999 });

        clock.Advance(TimeSpan.FromDays(3650));

        Assert.Equal(0, timers.Count);
        Assert.False(fired.Reader.TryPeek(out _));
    }

    [Fact]
    public async Task Schedule_SeveralDue_FireEarliestFirstThenInSchedulingOrder()
    {
        timers.Schedule("b", "e", 2, At(TimeSpan.FromSeconds(2)));
        timers.Schedule("a", "e", 1, At(TimeSpan.FromSeconds(1)));
        timers.Schedule("c", "e", 3, At(TimeSpan.FromSeconds(2)));

        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(["a", "b", "c"], [(await NextAsync()).InstanceId, (await NextAsync()).InstanceId, (await NextAsync()).InstanceId]);
    }

    [Fact]
    public async Task Schedule_LongerThanOneTimerCanWait_FiresAfterRearming()
    {
        timers.Schedule("saga-1", "exec-1", 1, At(TimeSpan.FromDays(60)));

        clock.Advance(TimeSpan.FromDays(60) - TimeSpan.FromMilliseconds(1));
        var heldJustBefore = timers.Count;
        clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(1, heldJustBefore);
        Assert.Equal(1, (await NextAsync()).TimerId);
    }

    [Fact]
    public async Task Cancel_ForgetsTheInstancesTimersOnly()
    {
        timers.Schedule("done", "e", 1, At(TimeSpan.FromSeconds(1)));
        timers.Schedule("done", "e", 2, At(TimeSpan.FromSeconds(2)));
        timers.Schedule("running", "e", 3, At(TimeSpan.FromSeconds(3)));

        timers.Cancel("done");
        clock.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal("running", (await NextAsync()).InstanceId);
        Assert.Equal(0, timers.Count);
        Assert.False(fired.Reader.TryPeek(out _));
    }

    private Timestamp At(TimeSpan fromNow) => Timestamp.FromDateTimeOffset(clock.GetUtcNow() + fromNow);

    // Firing is handed to the thread pool, so the callback may come a moment after the clock moved.
    private async Task<DueTimer> NextAsync()
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await fired.Reader.ReadAsync(patience.Token);
    }
}
