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
    /// Starts consuming the topic as <paramref name="consumerGroup"/> (Dapr: the app id). Messages
    /// published before the first subscription of a group are delivered too. Dispose to stop.
    /// </summary>
    Task<IAsyncDisposable> SubscribeAsync(string topic, string consumerGroup, Func<TopicMessage, CancellationToken, Task> handler, CancellationToken cancellationToken);
}
