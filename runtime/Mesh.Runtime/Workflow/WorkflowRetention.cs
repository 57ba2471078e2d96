using Dapr.DurableTask.Protobuf;
using Mesh.Runtime.Configuration;
using Microsoft.Extensions.Logging;

namespace Mesh.Runtime.Workflow;

/// <summary>
/// Dapr's workflow state retention (<c>spec.workflow.stateRetentionPolicy</c> of the app's Configuration): a finished
/// instance is purged from the store once the duration for the status it ended in has passed since it finished;
/// <c>completed</c>, <c>failed</c> and <c>terminated</c> win over <c>anyTerminal</c>; with none that applies it is
/// kept until purged by hand. Like Dapr, the policy applies to instances that finish while it is in effect: the purge
/// time is stored with the instance when it finishes, so it holds across restarts. One <see cref="ITimer"/> waits for
/// the earliest purge time the store holds; the purge itself runs in the store writer's order.
/// </summary>
internal sealed class WorkflowRetention : IDisposable
{
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(30);

    private readonly StateRetentionPolicy? policy;
    private readonly TimeProvider time;
    private readonly IWorkflowStore store;
    private readonly StoreWriter writer;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private readonly ITimer timer;
    private long armedFor = long.MaxValue;

    public WorkflowRetention(StateRetentionPolicy? policy, TimeProvider time, IWorkflowStore store, StoreWriter writer, ILogger logger)
    {
        (this.policy, this.time, this.store, this.writer, this.logger) = (policy, time, store, writer, logger);
        timer = time.CreateTimer(static state => _ = ((WorkflowRetention)state!).PurgeAsync(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>When an instance that finished with <paramref name="status"/> at <paramref name="finishedAt"/> is purged (Unix ms); null keeps it.</summary>
    public long? PurgeAt(OrchestrationStatus status, DateTimeOffset finishedAt)
    {
        var keep = status switch
        {
            OrchestrationStatus.Completed => policy?.Completed,
            OrchestrationStatus.Failed => policy?.Failed,
            OrchestrationStatus.Terminated => policy?.Terminated,
            _ => null,
        } ?? policy?.AnyTerminal;
        return keep is { } duration ? (finishedAt + duration).ToUnixTimeMilliseconds() : null;
    }

    /// <summary>Makes sure the timer fires no later than <paramref name="purgeAtMs"/>.</summary>
    public void Arm(long purgeAtMs)
    {
        lock (gate)
        {
            if (purgeAtMs >= armedFor)
            {
                return;
            }

            armedFor = purgeAtMs;
            var wait = DateTimeOffset.FromUnixTimeMilliseconds(purgeAtMs) - time.GetUtcNow();
            timer.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait > LongestWait ? LongestWait : wait, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Arms the timer for what the store already holds (after a restart).</summary>
    public async Task StartAsync()
    {
        if (await store.NextPurgeAsync() is { } next)
        {
            Arm(next);
        }
    }

    /// <inheritdoc />
    public void Dispose() => timer.Dispose();

    private async Task PurgeAsync()
    {
        try
        {
            lock (gate)
            {
                armedFor = long.MaxValue;
            }

            var purged = await writer.PurgeExpiredAsync(time.GetUtcNow().ToUnixTimeMilliseconds());
            if (purged > 0)
            {
                logger.LogInformation("Purged {Count} finished workflow instances whose retention ended", purged);
            }

            await StartAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The sidecar stops, or the store is down: the next finished instance arms the timer again.
            logger.LogWarning(e, "Purging finished workflow instances failed");
        }
    }
}
