using Dapr.Client;
using Microsoft.Extensions.Options;

namespace Mesh.Workflows.InventoryToCharge;

/// <summary>
/// Case outcomes in the Dapr state store (one key per event id) and the exception queue: the ids of the cases
/// waiting for someone, in one list kept with ETags so concurrent sagas never drop each other's entries.
/// </summary>
public sealed class CaseLedger(DaprClient dapr, IOptions<SagaOptions> options, CaseMetrics metrics)
{
    private const string QueueKey = "itc-exception-queue";
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };

    private string Store => options.Value.StateStore;

    /// <summary>Records the outcome; an exception joins the queue, a completed replay leaves it.</summary>
    public async Task RecordAsync(CaseOutcome outcome, CancellationToken ct)
    {
        await dapr.SaveStateAsync(Store, Key(outcome.EventId), outcome, cancellationToken: ct);
        var queued = outcome.Status == CaseOutcome.Exception;
        for (var attempt = 0; ; attempt++)
        {
            var (ids, etag) = await dapr.GetStateAndETagAsync<List<string>>(Store, QueueKey, cancellationToken: ct);
            ids ??= [];
            if (ids.Contains(outcome.EventId) == queued)
            {
                metrics.QueueDepth(ids.Count);
                return;
            }

            List<string> changed = queued ? [.. ids, outcome.EventId] : [.. ids.Where(id => id != outcome.EventId)];
            if (await dapr.TrySaveStateAsync(Store, QueueKey, changed, etag ?? "", FirstWrite, cancellationToken: ct))
            {
                metrics.QueueDepth(changed.Count);
                return;
            }

            if (attempt == 20)
            {
                throw new InvalidOperationException("the exception queue kept changing; the activity will be retried");
            }
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
