using Dapr;
using Dapr.Client;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Contracts.Classification;
using Mesh.Contracts.Type.V1;

namespace Mesh.Ingest.Intake;

/// <summary>
/// Publishes mapped canonical events straight to pub/sub on the topic of their event taxonomy, with the CloudEvent id
/// and source of their <see cref="EventContext"/>. Ingest needs no outbox: its intake ledger already holds every
/// accepted message's pending events until they are published, and a resend publishes the same event ids again.
/// </summary>
/// <param name="dapr">The Dapr client.</param>
/// <param name="pubsub">The pub/sub component.</param>
/// <param name="source">The source of ingest's events, e.g. "mesh/ingest".</param>
public sealed class CanonicalPublisher(DaprClient dapr, string pubsub, string source)
{
    /// <summary>The source of ingest's events.</summary>
    public string Source => source;

    /// <summary>Publishes <paramref name="message"/>; UNAVAILABLE, naming the event, when the pub/sub cannot take it.</summary>
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
                new Dictionary<string, string> { ["cloudevent.id"] = context.EventId, ["cloudevent.source"] = context.Source, ["cloudevent.type"] = message.Descriptor.FullName },
                ct);
        }
        catch (DaprException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the message is accepted, but its {message.Descriptor.Name} event {context.EventId} could not be published yet: {e.InnerException?.Message ?? e.Message}"));
        }
    }
}
