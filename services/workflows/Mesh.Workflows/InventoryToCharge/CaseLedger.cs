using Dapr.Client;
using Microsoft.Extensions.Options;

namespace Mesh.Workflows.InventoryToCharge;

/// <summary>
/// Case outcomes in the Dapr state store (one key per event id) and the exception queue: the ids of the cases
/// waiting for someone, in one list kept with ETags so concurrent sagas never drop each other's entries.
/// </summary>
public sealed class CaseLedger(DaprClient dapr, IOptions<InventoryToChargeOptions> options, CaseMetrics metrics)
{
    private const string QueueKey = "itc-exception-queue";
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };
    private readonly SemaphoreSlim queueGate = new(1, 1);

    private string Store => options.Value.StateStore;

    /// <summary>
    /// Records the outcome; an exception joins the queue, a completed replay leaves it. The queue is written
    /// first, so whoever can read the outcome finds the queue agreeing with it.
    /// </summary>
    public async Task RecordAsync(CaseOutcome outcome, CancellationToken ct)
    {
        await SetQueuedAsync(outcome.EventId, outcome.Status == CaseOutcome.Exception, ct);
        await dapr.SaveStateAsync(Store, Key(outcome.EventId), outcome, cancellationToken: ct);
    }

    /// <summary>Takes a case off the queue (an operator dealt with it); false when it was not on it.</summary>
    public async Task<bool> DismissAsync(string eventId, CancellationToken ct) => await SetQueuedAsync(eventId, false, ct);

    // Returns whether the queue changed. One change at a time in this process: that spares its sagas ETag
    // conflicts with each other, and makes the depth gauge's last write the newest depth this process has seen.
    private async Task<bool> SetQueuedAsync(string eventId, bool queued, CancellationToken ct)
    {
        await queueGate.WaitAsync(ct);
        try
        {
            return await SetQueuedOnceAsync(eventId, queued, ct);
        }
        finally
        {
            queueGate.Release();
        }
    }

    private async Task<bool> SetQueuedOnceAsync(string eventId, bool queued, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (ids, etag) = await dapr.GetStateAndETagAsync<List<string>>(Store, QueueKey, cancellationToken: ct);
            ids ??= [];
            if (ids.Contains(eventId) == queued)
            {
                metrics.QueueDepth(ids.Count);
                return false;
            }

            List<string> changed = queued ? [.. ids, eventId] : [.. ids.Where(id => id != eventId)];
            if (await dapr.TrySaveStateAsync(Store, QueueKey, changed, etag ?? "", FirstWrite, cancellationToken: ct))
            {
                metrics.QueueDepth(changed.Count);
                return true;
            }

            if (attempt == 20)
            {
                throw new InvalidOperationException("the exception queue kept changing; the activity will be retried");
            }

            // Concurrent sagas concluding at once would collide again in step.
            await Task.Delay(Random.Shared.Next(1, 10 * (attempt + 1)), ct);
        }
    }

    /// <summary>The recorded outcomes of these events (those not finished yet are missing).</summary>
    public async Task<List<CaseOutcome>> OutcomesAsync(IReadOnlyList<string> eventIds, CancellationToken ct)
    {
        if (eventIds.Count == 0)
        {
            return [];
        }

        var read = await dapr.GetBulkStateAsync<CaseOutcome>(Store, [.. eventIds.Select(Key)], parallelism: 16, cancellationToken: ct);
        return [.. read.Where(r => r.Value is not null).Select(r => r.Value)];
    }

    /// <summary>The cases on the exception queue, oldest first.</summary>
    public async Task<List<CaseOutcome>> ExceptionsAsync(CancellationToken ct) =>
        await OutcomesAsync(await dapr.GetStateAsync<List<string>>(Store, QueueKey, cancellationToken: ct) ?? [], ct);

    private static string Key(string eventId) => $"itc-case:{eventId}";
}
