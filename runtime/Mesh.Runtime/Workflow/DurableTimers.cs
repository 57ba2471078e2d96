using Google.Protobuf.WellKnownTypes;

namespace Mesh.Runtime.Workflow;

/// <summary>
/// The durable timers of the instances the engine holds, on one <see cref="ITimer"/> of the engine's
/// <see cref="TimeProvider"/> armed for the earliest one. The timers themselves are durable because they are in the
/// history (<c>TimerCreated</c> without a <c>TimerFired</c>); this schedule is rebuilt from it on start. A timer
/// fires no earlier than its <c>fireAt</c>; the SDK's "no timeout" sentinel (year 9999) is never scheduled.
/// </summary>
internal sealed class DurableTimers : IDisposable
{
    // The SDK's "wait with no timeout" timer fires at 9999-12-31T23:59:59.999999999Z.
    private const long IndefiniteFireAtSeconds = 253402300799;

    // An ITimer's due time is at most ~49.7 days: a later timer is re-armed on the way.
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(30);

    private readonly Lock gate = new();
    private readonly TimeProvider time;
    private readonly Action<DueTimer> fire;
    private readonly SortedSet<DueTimer> schedule = new(DueTimer.Order);
    private readonly Dictionary<string, List<DueTimer>> byInstance = new(StringComparer.Ordinal);
    private readonly ITimer timer;
    private long sequence;

    /// <summary>Creates the schedule; <paramref name="fire"/> is called for each timer once it is due, on the thread pool.</summary>
    public DurableTimers(TimeProvider time, Action<DueTimer> fire)
    {
        this.time = time;
        this.fire = fire;
        timer = time.CreateTimer(static state => ((DurableTimers)state!).FireDue(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>How many timers are scheduled.</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return schedule.Count;
            }
        }
    }

    /// <summary>Schedules timer <paramref name="timerId"/> of one execution of an instance.</summary>
    public void Schedule(string instanceId, string executionId, int timerId, Timestamp fireAt)
    {
        if (fireAt.Seconds >= IndefiniteFireAtSeconds)
        {
            return;
        }

        lock (gate)
        {
            var due = new DueTimer(instanceId, executionId, timerId, fireAt, fireAt.ToDateTimeOffset(), sequence++);
            schedule.Add(due);
            if (!byInstance.TryGetValue(instanceId, out var own))
            {
                byInstance[instanceId] = own = [];
            }

            own.Add(due);
            if (schedule.Min == due)
            {
                Arm();
            }
        }
    }

    /// <summary>Forgets every timer of an instance the engine no longer holds.</summary>
    public void Cancel(string instanceId)
    {
        lock (gate)
        {
            if (byInstance.Remove(instanceId, out var own))
            {
                own.ForEach(t => schedule.Remove(t));
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => timer.Dispose();

    private void FireDue()
    {
        var due = new List<DueTimer>();
        lock (gate)
        {
            var now = time.GetUtcNow();
            while (schedule.Count > 0 && schedule.Min!.At <= now)
            {
                var next = schedule.Min;
                schedule.Remove(next);
                if (byInstance.TryGetValue(next.InstanceId, out var own) && own.Remove(next) && own.Count == 0)
                {
                    byInstance.Remove(next.InstanceId);
                }

                due.Add(next);
            }

            Arm();
        }

        // Never on the caller's thread: a fake clock runs timer callbacks inside Change and Advance, where the
        // engine may hold its lock halfway through an operation.
        if (due.Count > 0)
        {
            ThreadPool.QueueUserWorkItem(static state => state.Due.ForEach(state.Fire), (Fire: fire, Due: due), preferLocal: false);
        }
    }

    private void Arm()
    {
        if (schedule.Count == 0)
        {
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        var wait = schedule.Min!.At - time.GetUtcNow();
        timer.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait > LongestWait ? LongestWait : wait, Timeout.InfiniteTimeSpan);
    }
}

/// <summary>A scheduled timer: which execution of which instance, its id in the history, and when.</summary>
internal sealed record DueTimer(string InstanceId, string ExecutionId, int TimerId, Timestamp FireAt, DateTimeOffset At, long Sequence)
{
    /// <summary>Earliest first; the order of scheduling among equals.</summary>
    public static IComparer<DueTimer> Order { get; } = Comparer<DueTimer>.Create((a, b) => a.At != b.At ? a.At.CompareTo(b.At) : a.Sequence.CompareTo(b.Sequence));
}
