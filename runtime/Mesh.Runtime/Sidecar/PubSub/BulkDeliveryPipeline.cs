using System.Net;
using System.Net.Http.Headers;
using System.Threading.Channels;
using Mesh.Runtime.Components;
using Mesh.Runtime.Sidecar.Invocation;
using Mesh.Runtime.Sidecar.Resiliency;
using Microsoft.Extensions.Logging;
using Polly.Timeout;

namespace Mesh.Runtime.Sidecar.PubSub;

/// <summary>
/// Delivers a bulkSubscribe subscription as daprd's default bulk subscriber does. The component hands messages over
/// one at a time and each handler waits while its message joins a batch, which closes at maxMessagesCount entries
/// or maxAwaitDurationMs after its first. The batch goes to the app as one POST per route (the body daprd sends:
/// <c>entries</c> of <c>entryId</c>, <c>event</c>, <c>metadata</c>, <c>contentType</c>), and the app answers
/// SUCCESS / RETRY / DROP per entry. Retries under the component's inbound resiliency policy re-send only the
/// entries still failing. Afterwards DROP entries, and with a dead-letter topic the entries still failing, are
/// dead-lettered one by one with their original bytes; without one, failing entries stay unacknowledged.
/// </summary>
/// <remarks>
/// Differences from daprd, both so that nothing accepted is lost: a 404 dead-letters the entries (daprd discards
/// them), and entries that are not CloudEvents are dropped to the dead-letter topic at once (daprd retries them
/// first), as single deliveries are.
/// </remarks>
public sealed class BulkDeliveryPipeline : IAsyncDisposable
{
    private readonly DeliveryPipeline single;
    private readonly SidecarSettings settings;
    private readonly AppChannels channels;
    private readonly ILogger logger;
    private readonly BulkSubscribeSettings bulk;
    private readonly Channel<Waiting> incoming = Channel.CreateUnbounded<Waiting>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource stopping = new();
    private readonly Task gathering;

    /// <summary>Starts gathering batches for the subscription of <paramref name="single"/>, which must be a bulk one.</summary>
    public BulkDeliveryPipeline(DeliveryPipeline single, SidecarSettings settings, AppChannels channels, ILogger logger)
    {
        this.single = single;
        this.settings = settings;
        this.channels = channels;
        this.logger = logger;
        bulk = single.Subscription.Bulk ?? throw new ArgumentException("the subscription is not a bulk one", nameof(single));
        gathering = Task.Run(() => GatherAsync(stopping.Token));
    }

    /// <summary>How many handlers the component should run at once so that a batch can fill.</summary>
    public int Concurrency => bulk.MaxMessagesCount;

    /// <summary>Handles one message: completes when its batch has been delivered and it was acknowledged; throws to leave it for redelivery.</summary>
    public async Task HandleAsync(TopicMessage message, CancellationToken cancellationToken)
    {
        var waiting = new Waiting(message);
        if (!incoming.Writer.TryWrite(waiting))
        {
            throw new InvalidOperationException($"bulk delivery of {single.Subscription.Topic} is stopping; {message.Id} will be redelivered");
        }

        // When the component gives up on the message (processingTimeout, stopping) it will hand it over again: this
        // copy is then settled as canceled and left out of any batch not yet sent, so it is not delivered twice.
        await using var registration = cancellationToken.Register(() => waiting.Acknowledged.TrySetCanceled(cancellationToken));
        await waiting.Acknowledged.Task;
    }

    /// <summary>Stops gathering; call after the component's subscription is disposed. Messages not yet delivered stay unacknowledged.</summary>
    public async ValueTask DisposeAsync()
    {
        incoming.Writer.TryComplete();
        await stopping.CancelAsync();
        await gathering;
        while (incoming.Reader.TryRead(out var left))
        {
            left.Acknowledged.TrySetCanceled();
        }

        stopping.Dispose();
    }

    private async Task GatherAsync(CancellationToken token)
    {
        var batch = new List<Waiting>(bulk.MaxMessagesCount);
        try
        {
            while (await incoming.Reader.WaitToReadAsync(token))
            {
                // The batch closes maxAwaitDurationMs after its first entry, on the sidecar's clock.
                using (var awaited = new CancellationTokenSource(bulk.MaxAwaitDuration, settings.Time))
                using (var window = CancellationTokenSource.CreateLinkedTokenSource(token, awaited.Token))
                {
                    while (batch.Count < bulk.MaxMessagesCount)
                    {
                        if (incoming.Reader.TryRead(out var next))
                        {
                            if (!next.Acknowledged.Task.IsCompleted)
                            {
                                batch.Add(next);
                            }
                        }
                        else if (!await WaitForMoreAsync(window.Token))
                        {
                            break;
                        }
                    }
                }

                try
                {
                    await DeliverAsync(batch, token);
                }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    // Whatever went wrong, the batch's unsettled entries stay unacknowledged and the next batch goes on.
                    logger.LogError("Bulk delivery on {Topic} failed ({Error}); its unsettled entries will be redelivered", single.Subscription.Topic, SafeLog.Describe(e));
                    batch.ForEach(w => w.Acknowledged.TrySetException(e));
                }

                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Stopping: the component has already given up on these; they are redelivered later.
            batch.ForEach(w => w.Acknowledged.TrySetCanceled(token));
        }
    }

    private async Task<bool> WaitForMoreAsync(CancellationToken window)
    {
        try
        {
            return await incoming.Reader.WaitToReadAsync(window);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return false; // the batch's await duration is over
        }
    }

    private async Task DeliverAsync(List<Waiting> batch, CancellationToken token)
    {
        var entries = new List<Entry>(batch.Count);
        try
        {
            foreach (var waiting in batch.Where(w => !w.Acknowledged.Task.IsCompleted))
            {
                var prepared = single.Prepare(waiting.Message);
                if (prepared.DropReason is { } reason)
                {
                    await SettleAsync(waiting, single.DropAsync, reason, token);
                    continue;
                }

                if (prepared.FailureReason is { } failure)
                {
                    await SettleAsync(waiting, single.FailAsync, failure, token);
                    continue;
                }

                entries.Add(new Entry(Guid.NewGuid().ToString(), waiting, prepared));
            }

            foreach (var route in entries.GroupBy(e => e.Prepared.Route!, StringComparer.Ordinal))
            {
                await DeliverRouteAsync(route.Key, [.. route], token);
            }
        }
        finally
        {
            entries.ForEach(e => e.Prepared.Dispose());
        }
    }

    private async Task DeliverRouteAsync(string route, List<Entry> entries, CancellationToken token)
    {
        // One id per request body, kept by its retries, as daprd does.
        var batchId = Guid.NewGuid().ToString();
        try
        {
            await single.Retries.ExecuteAsync(
                async ct =>
                {
                    // Entries the component has given up on meanwhile are not sent again.
                    var pending = entries.Where(e => e.Outcome == DeliveryOutcome.Retry && !e.Waiting.Acknowledged.Task.IsCompleted).ToList();
                    if (pending.Count == 0)
                    {
                        return DeliveryOutcome.Success;
                    }

                    return await single.AttemptAsync(
                        async attempt =>
                        {
                            await SendAsync(batchId, route, pending, attempt);
                            // Acknowledged as soon as the app said SUCCESS, not after the entries still retrying.
                            pending.Where(e => e.Outcome == DeliveryOutcome.Success).ToList().ForEach(e => e.Waiting.Acknowledged.TrySetResult());
                            return pending.Any(e => e.Outcome == DeliveryOutcome.Retry) ? DeliveryOutcome.Retry : DeliveryOutcome.Success;
                        },
                        ct);
                },
                token);
        }
        catch (Exception e) when (e is TimeoutRejectedException or CircuitOpenException)
        {
            // The entries not answered yet stay Retry.
        }

        // Entries already settled (acknowledged, or given up by the component) need nothing more.
        foreach (var entry in entries.Where(e => !e.Waiting.Acknowledged.Task.IsCompleted))
        {
            switch (entry.Outcome)
            {
                case DeliveryOutcome.Success:
                    entry.Waiting.Acknowledged.TrySetResult();
                    break;
                case DeliveryOutcome.Drop:
                    await SettleAsync(entry.Waiting, single.DropAsync, entry.DropReason ?? "the app answered DROP", token);
                    break;
                default:
                    await SettleAsync(entry.Waiting, single.FailAsync, "retries are exhausted", token);
                    break;
            }
        }
    }

    // Drops or fails one entry (see DeliveryPipeline); acknowledged once that succeeded, else left for redelivery.
    private static async Task SettleAsync(Waiting waiting, Func<TopicMessage, string, CancellationToken, Task> settle, string reason, CancellationToken token)
    {
        try
        {
            await settle(waiting.Message, reason, token);
            waiting.Acknowledged.TrySetResult();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not dead-lettered: leave it unacknowledged rather than lose it.
            waiting.Acknowledged.TrySetException(e);
        }
    }

    // Sends the entries still pending to the route and records each one's outcome from the app's answer.
    private async Task SendAsync(string batchId, string route, List<Entry> pending, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(settings.App.BaseUri, route.TrimStart('/')))
        {
            Content = new ReadOnlyMemoryContent(BulkDeliveryBody.Write(batchId, single.Subscription, pending.Select(e => (e.EntryId, e.Waiting.Message, e.Prepared.Body)))),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(BulkDeliveryBody.ContentType);
        request.Headers.TryAddWithoutValidation("pubsubName", single.Subscription.PubsubName); // daprd sends the batch metadata as headers
        HttpResponseMessage response;
        try
        {
            response = await channels.HttpFor(settings.App).SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (DeliveryPipeline.IsFailedAttempt(e, cancellationToken))
        {
            logger.LogWarning("Bulk delivery on {Topic} to {Route} failed: {Error}", single.Subscription.Topic, route, SafeLog.Describe(e));
            return; // every entry stays Retry
        }

        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                pending.ForEach(e => (e.Outcome, e.DropReason) = (DeliveryOutcome.Drop, "the app answered 404"));
                return;
            }

            if (!response.IsSuccessStatusCode)
            {
                return;
            }

            var statuses = await BulkDeliveryBody.StatusesAsync(response, cancellationToken);
            foreach (var entry in pending)
            {
                // Missing entries, unknown values and a body that is no answer at all mean RETRY, as in daprd (values are case-sensitive).
                entry.Outcome = statuses.GetValueOrDefault(entry.EntryId) switch
                {
                    "SUCCESS" => DeliveryOutcome.Success,
                    "DROP" => DeliveryOutcome.Drop,
                    _ => DeliveryOutcome.Retry,
                };
            }
        }
    }

    /// <summary>A message waiting for its batch; completes when it may be acknowledged.</summary>
    private sealed class Waiting(TopicMessage message)
    {
        public TopicMessage Message { get; } = message;

        public TaskCompletionSource Acknowledged { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>One entry of a batch and what the app last said about it.</summary>
    private sealed class Entry(string entryId, Waiting waiting, PreparedMessage prepared)
    {
        public string EntryId { get; } = entryId;

        public Waiting Waiting { get; } = waiting;

        public PreparedMessage Prepared { get; } = prepared;

        public DeliveryOutcome Outcome { get; set; } = DeliveryOutcome.Retry;

        public string? DropReason { get; set; }
    }
}
