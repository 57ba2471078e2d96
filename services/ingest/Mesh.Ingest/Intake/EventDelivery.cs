using Google.Protobuf;
using Google.Protobuf.Reflection;
using Mesh.Contracts.Ingest.V1;
using Mesh.Ingest.Mapping;
using Mesh.Ingest.Routing;
using Mesh.Resources;

namespace Mesh.Ingest.Intake;

/// <summary>
/// Delivers mapped messages to their flows: events (ItemConsumed) are published on their contract topic,
/// encounter contexts are kept for later messages. Delivery for one ordering key (a patient encounter) runs in
/// the order the messages were accepted.
/// </summary>
public sealed class EventDelivery(CanonicalPublisher events, EncounterDirectory encounters, KeyedSequencer sequencer)
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default);

    /// <summary>Delivers the pending events in order; a failure leaves the rest pending for a resend.</summary>
    public async Task DeliverAsync(IReadOnlyList<PendingEvent> pending, CancellationToken ct)
    {
        foreach (var item in pending)
        {
            var message = Parser.Parse(item.Json, CanonicalFields.CompiledMessage(item.Type)!);
            await sequencer.RunAsync(item.OrderingKey, async () =>
            {
                switch (item.Flow)
                {
                    case Flows.EncounterContext:
                        await encounters.SaveAsync((EncounterContext)message, ct);
                        break;
                    default:
                        await events.PublishAsync(message, ct);
                        break;
                }

                return true;
            }, ct);
        }
    }

    /// <summary>
    /// The messages as pending events: each event gets its context (id derived from the message key and its
    /// position, so a resend or replay repeats it; source; correlation to the inbound message).
    /// </summary>
    public PendingEvent[] Prepare(Inbound inbound, IReadOnlyList<Routed> mapped)
    {
        var prepared = new PendingEvent[mapped.Count];
        for (var i = 0; i < mapped.Count; i++)
        {
            var message = mapped[i].Message;
            if (message.Descriptor.FindFieldByNumber(1) is { FieldType: FieldType.Message } contextField
                && contextField.MessageType.FullName == "mesh.type.v1.EventContext")
            {
                var given = contextField.Accessor.GetValue(message) as Mesh.Contracts.Type.V1.EventContext;
                var context = ContractEvents.ContextOf(
                    $"{events.Source}/{inbound.Format}",
                    IntakeKeys.EventId(inbound.Key, i),
                    given?.OccurTime?.ToDateTimeOffset() ?? inbound.ReceiveTime,
                    causationId: RawArchive.NameOf(inbound.Receipt),
                    correlationId: $"ingest.{inbound.Key}");
                contextField.Accessor.SetValue(message, context);
            }

            prepared[i] = new PendingEvent(message.Descriptor.FullName, JsonFormatter.Default.Format(message), mapped[i].Flow, mapped[i].OrderingKey);
        }

        return prepared;
    }

    /// <summary>The event ids among the pending events.</summary>
    public static List<string> EventIds(IEnumerable<PendingEvent> pending) =>
        [.. pending.Select(p => Parser.Parse(p.Json, CanonicalFields.CompiledMessage(p.Type)!))
            .Select(m => m.Descriptor.FindFieldByNumber(1)?.Accessor.GetValue(m) as Mesh.Contracts.Type.V1.EventContext)
            .Where(c => c is not null)
            .Select(c => c!.EventId)];
}
