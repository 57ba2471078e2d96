namespace Mesh.Runtime.Components;

/// <summary>A message as read from a topic: the bytes published (a CloudEvent, or raw) and their metadata.</summary>
public sealed record TopicMessage(string Id, string Topic, ReadOnlyMemory<byte> Data, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// A pub/sub component. The sidecar builds envelopes and decides delivery outcomes; the component
/// only stores and hands out bytes. A handler that returns acknowledges the message; a handler that
/// throws leaves it unacknowledged, so it is delivered again (pubsub.redis: after processingTimeout).
/// </summary>
public interface IPubSub : IAsyncDisposable
{
    /// <summary>Appends a message to the topic.</summary>
    Task PublishAsync(string topic, ReadOnlyMemory<byte> data, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken);

    /// <summary>
    /// Starts consuming <see cref="TopicSubscribeRequest.Topic"/> as its consumer group (Dapr: the app id). Messages
    /// published before the first subscription of a group are delivered too. Dispose to stop.
    /// </summary>
    Task<IAsyncDisposable> SubscribeAsync(TopicSubscribeRequest request, Func<TopicMessage, CancellationToken, Task> handler, CancellationToken cancellationToken);

    /// <summary>Starts consuming <paramref name="topic"/> as <paramref name="consumerGroup"/> with the component's own concurrency.</summary>
    Task<IAsyncDisposable> SubscribeAsync(string topic, string consumerGroup, Func<TopicMessage, CancellationToken, Task> handler, CancellationToken cancellationToken) =>
        SubscribeAsync(new TopicSubscribeRequest(topic, consumerGroup), handler, cancellationToken);
}

/// <summary>What to consume.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="ConsumerGroup">The group whose members share the topic's messages.</param>
/// <param name="MinimumConcurrency">
/// Handlers to run at once at least, where the component's own setting is lower. A bulk subscription asks for its
/// batch size: its handler waits until the batch is delivered, so fewer handlers would cap every batch below it.
/// </param>
public sealed record TopicSubscribeRequest(string Topic, string ConsumerGroup, int MinimumConcurrency = 1);
