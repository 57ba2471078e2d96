using System.Text.Json;
using System.Text.Json.Nodes;
using Mesh.Runtime.Components;
using Microsoft.Extensions.Logging;

namespace Mesh.Runtime.Sidecar.State;

/// <summary>
/// The subscribe half of Dapr's transactional outbox (daprd pkg/runtime/pubsub/outbox.go, SubscribeToInternalTopics):
/// one subscription per outbox-enabled store to its internal topic. For each message it waits a second, looks for
/// the marker its transaction wrote (backing off from 500 ms, times 3, at most 3 s apart, for up to 10 s), and once
/// the marker is there publishes the event to the store's topic and deletes the marker. A marker that never appears
/// (the transaction failed) fails the message, so the pub/sub delivers it again, or drops it when the store says
/// <c>outboxDiscardWhenMissingState</c>. The internal message stays unacknowledged until the event is out, so a
/// sidecar that dies after the commit leaves it to the next one: what committed is published at least once, under
/// the marker key as CloudEvent id.
/// </summary>
public sealed partial class OutboxRelay(SidecarSettings settings, TransactionalOutbox outbox, TimeProvider time, ILogger<OutboxRelay> logger)
{
    private static readonly TimeSpan StateScanDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FirstBackOff = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan MaxElapsed = TimeSpan.FromSeconds(10);

    /// <summary>Subscribes to the internal topic of every outbox the app has; dispose the results to stop.</summary>
    public async Task<IReadOnlyList<IAsyncDisposable>> StartAsync(CancellationToken cancellationToken)
    {
        var subscriptions = new List<IAsyncDisposable>();
        foreach (var store in outbox.Outboxes.Values)
        {
            if (!settings.PubSubs.TryGetValue(store.OutboxPubSub, out var pubsub))
            {
                LogPubSubMissing(logger, store.OutboxPubSub, store.Store);
                continue;
            }

            // As for deliveries, the consumer group is the component's consumerID, else the app id.
            var group = settings.Components.FirstOrDefault(c => c.Name == store.OutboxPubSub)?.Metadata.GetValueOrDefault("consumerID") is { Length: > 0 } consumerId
                ? consumerId
                : settings.App.AppId;
            subscriptions.Add(await pubsub.SubscribeAsync(store.InternalTopic(settings.App.AppId), group, (message, token) => RelayAsync(store, message, token), cancellationToken));
        }

        return subscriptions;
    }

    /// <summary>Handles one internal message; throws to leave it for redelivery.</summary>
    internal async Task RelayAsync(OutboxSettings store, TopicMessage message, CancellationToken cancellationToken)
    {
        var envelope = JsonNode.Parse(message.Data.Span) as JsonObject ?? throw new JsonException("the outbox message is not a JSON object");
        var marker = envelope["id"] is JsonValue id && id.TryGetValue<string>(out var key) ? key : "";
        var state = settings.StateStores.GetValueOrDefault(store.Store)
            ?? throw new InvalidOperationException($"cannot get outbox state: state store {store.Store} not found");

        await Task.Delay(StateScanDelay, time, cancellationToken);
        var missing = await RetryAsync(async () =>
        {
            if (await state.GetAsync(marker, cancellationToken) is not { Value.Length: > 0 })
            {
                throw new InvalidOperationException($"cannot publish outbox message to topic {store.PublishTopic} with pubsub {store.PublishPubSub}: outbox state not found");
            }
        }, cancellationToken);
        if (missing is not null)
        {
            if (store.DiscardWhenMissingState)
            {
                LogDiscarded(logger, store.PublishPubSub, missing.Message);
                return;
            }

            LogRejected(logger, store.PublishPubSub, missing.Message);
            throw missing;
        }

        envelope["topic"] = store.PublishTopic;
        envelope["pubsubname"] = store.PublishPubSub;
        var target = settings.PubSubs.GetValueOrDefault(store.PublishPubSub) ?? throw new InvalidOperationException($"pubsub '{store.PublishPubSub}' not found");
        await target.PublishAsync(store.PublishTopic, JsonSerializer.SerializeToUtf8Bytes(envelope), new Dictionary<string, string>(), cancellationToken);
        if (await RetryAsync(() => state.DeleteAsync(new StateDeleteRequest(marker, null, StateConcurrency.LastWrite), cancellationToken), cancellationToken) is { } failed)
        {
            throw failed;
        }
    }

    // cenkalti/backoff's ExponentialBackOff as daprd configures it here: randomized by ±10%, and no further attempt
    // once the next wait would end past the elapsed-time limit. Returns the last failure, or null on success.
    private async Task<Exception?> RetryAsync(Func<Task> attempt, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var interval = FirstBackOff;
        while (true)
        {
            try
            {
                await attempt();
                return null;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                var wait = interval * (0.9 + (Random.Shared.NextDouble() * 0.2));
                interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 3, MaxBackOff.Ticks));
                if (time.GetElapsedTime(started) + wait > MaxElapsed)
                {
                    return e;
                }

                await Task.Delay(wait, time, cancellationToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not subscribe to internal outbox topic: outbox pubsub {PubSub} of state store {Store} not loaded")]
    private static partial void LogPubSubMissing(ILogger logger, string pubSub, string store);

    [LoggerMessage(Level = LogLevel.Error, Message = "failed to publish outbox topic to pubsub {PubSub}: {Reason}, discarding message")]
    private static partial void LogDiscarded(ILogger logger, string pubSub, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "failed to publish outbox topic to pubsub {PubSub}: {Reason}, rejecting for later processing")]
    private static partial void LogRejected(ILogger logger, string pubSub, string reason);
}
