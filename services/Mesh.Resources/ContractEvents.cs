using Dapr;
using Dapr.Client;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Classification;
using Mesh.Contracts.Type.V1;

namespace Mesh.Resources;

/// <summary>
/// Publishes contract events through Dapr pub/sub: on the topic of the message's event taxonomy
/// (<see cref="ContractCatalog.TopicOf"/>), as protobuf JSON, with the CloudEvent id and source of its
/// <see cref="EventContext"/>. Event ids are derived from what happened, so an event published again after a retry
/// is recognisably the same one and consumers can drop the copy.
/// </summary>
/// <param name="dapr">The Dapr client.</param>
/// <param name="pubsub">The pub/sub component.</param>
/// <param name="source">The CloudEvent source of this publisher's events, e.g. "mesh/masterdata".</param>
public sealed class ContractEvents(DaprClient dapr, string pubsub, string source)
{
    /// <summary>The CloudEvent source of this publisher's events.</summary>
    public string Source => source;

    /// <summary>The context of an event of this publisher.</summary>
    /// <param name="eventId">Derived from what happened, e.g. "items/abc.created".</param>
    /// <param name="at">When it happened.</param>
    /// <param name="causationId">The id of the event or request that caused it, if any.</param>
    /// <param name="correlationId">The business transaction it belongs to; the event itself when empty.</param>
    public EventContext Context(string eventId, DateTimeOffset at, string causationId = "", string correlationId = "") =>
        ContextOf(source, eventId, at, causationId, correlationId);

    /// <summary>The context of an event from <paramref name="source"/>; see <see cref="Context"/>.</summary>
    public static EventContext ContextOf(string source, string eventId, DateTimeOffset at, string causationId = "", string correlationId = "") => new()
    {
        EventId = eventId,
        OccurTime = Timestamp.FromDateTimeOffset(at),
        Source = source,
        CausationId = causationId,
        CorrelationId = correlationId.Length > 0 ? correlationId : eventId,
    };

    /// <summary>
    /// Publishes <paramref name="message"/>, an event whose field 1 is its <see cref="EventContext"/>. UNAVAILABLE,
    /// naming the event, when the pub/sub cannot take it: the change behind it is saved by then.
    /// </summary>
    public async Task PublishAsync(IMessage message, CancellationToken ct)
    {
        var context = message.Descriptor.FindFieldByNumber(1)?.Accessor.GetValue(message) as EventContext
            ?? throw new ArgumentException($"{message.Descriptor.FullName} has no EventContext in field 1", nameof(message));
        try
        {
            await dapr.PublishByteEventAsync(
                pubsub,
                ContractCatalog.TopicOf(message.Descriptor),
                System.Text.Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(message)),
                "application/json",
                new Dictionary<string, string> { ["cloudevent.id"] = context.EventId, ["cloudevent.source"] = context.Source },
                ct);
        }
        catch (DaprException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the change is saved, but its {message.Descriptor.Name} event {context.EventId} could not be published: {e.InnerException?.Message ?? e.Message}"));
        }
    }
}
