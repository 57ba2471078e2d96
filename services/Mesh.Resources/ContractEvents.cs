using System.Text;
using Dapr;
using Dapr.Client;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Type.V1;

namespace Mesh.Resources;

/// <summary>A contract event to commit with a write: it rides on the upsert of <paramref name="Key"/> in the same transaction.</summary>
/// <param name="Key">The state key of the write (as the store names it, before Dapr's app prefix).</param>
/// <param name="Event">The event message; its field 1 is its <see cref="EventContext"/>.</param>
public sealed record Announcement(string Key, IMessage Event);

/// <summary>
/// A service's contract events, written through Dapr's transactional outbox (docs/design/events-and-the-outbox.md): a
/// transaction that carries events goes to the service's outbox-enabled state store, which publishes one CloudEvent per
/// upsert to the service's topic once the transaction commits, and none when it does not. Each event rides on the upsert
/// of its resource as an <c>outbox.projection</c> (protobuf JSON) with operation metadata <c>type</c> = the message's full
/// proto name and <c>source</c> = this publisher; the transaction's other upserts (indexes, request ids, claims) get an
/// empty projection, so what they store never reaches the topic. Subscribers route on <c>event.type</c>.
/// </summary>
/// <param name="store">The outbox-enabled state store, on the same database and key prefix as the service's plain store.</param>
/// <param name="source">The CloudEvent and <see cref="EventContext"/> source of these events, e.g. "mesh/charges".</param>
public sealed class ContractEvents(string store, string source)
{
    private const string OutboxFailure = "error while publishing outbox message";
    private static readonly IReadOnlyDictionary<string, string> Hidden = new Dictionary<string, string> { ["outbox.projection"] = "true" };

    /// <summary>The outbox-enabled state store.</summary>
    public string Store => store;

    /// <summary>The source of this publisher's events.</summary>
    public string Source => source;

    /// <summary>The context of an event of this publisher.</summary>
    /// <param name="eventId">Derived from what happened, e.g. "charges/abc.captured".</param>
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
    /// The operations of a transaction that writes <paramref name="writes"/> and publishes <paramref name="events"/>:
    /// each event's projection followed by the upsert it rides on, then every other upsert after an empty projection,
    /// then the deletes. daprd takes projections out of the list in place, skipping the operation after each one it
    /// removes; in this order that operation is always a write, so every projection is found.
    /// </summary>
    public IReadOnlyList<StateTransactionRequest> Compose(IReadOnlyList<StateTransactionRequest> writes, IReadOnlyList<Announcement> events)
    {
        var hosted = events.ToDictionary(e => e.Key, StringComparer.Ordinal);
        var upserts = writes.Where(w => w.OperationType == StateOperationType.Upsert).ToList();
        if (events.FirstOrDefault(e => !upserts.Any(w => w.Key == e.Key)) is { } orphan)
        {
            throw new InvalidOperationException($"{orphan.Event.Descriptor.Name} rides on the write of '{orphan.Key}', which the transaction does not upsert");
        }

        var composed = new List<StateTransactionRequest>();
        foreach (var write in upserts.OrderBy(w => hosted.ContainsKey(w.Key) ? 0 : 1))
        {
            if (hosted.TryGetValue(write.Key, out var announced))
            {
                composed.Add(new(write.Key, Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(announced.Event)), StateOperationType.Upsert,
                    metadata: new Dictionary<string, string>(Hidden) { ["contentType"] = "application/json" }));
                composed.Add(With(write, new Dictionary<string, string> { ["type"] = announced.Event.Descriptor.FullName, ["source"] = source }));
            }
            else
            {
                composed.Add(new(write.Key, [], StateOperationType.Upsert, metadata: Hidden));
                composed.Add(write);
            }
        }

        composed.AddRange(writes.Where(w => w.OperationType != StateOperationType.Upsert));
        return composed;
    }

    /// <summary>
    /// UNAVAILABLE in place of the sidecar's failure to queue a transaction's events (daprd's ERR_PUBLISH_OUTBOX): the
    /// transaction was not written, so retrying the request is safe. Null for any other failure.
    /// </summary>
    public static RpcException? Unqueued(DaprException failure) =>
        failure.InnerException is RpcException { StatusCode: StatusCode.Internal } inner && inner.Status.Detail.StartsWith(OutboxFailure, StringComparison.Ordinal)
            ? new RpcException(new Status(StatusCode.Unavailable, $"nothing was saved: the change's events could not be queued ({inner.Status.Detail}); retry"))
            : null;

    private static StateTransactionRequest With(StateTransactionRequest write, Dictionary<string, string> metadata)
    {
        foreach (var (key, value) in write.Metadata ?? new Dictionary<string, string>())
        {
            metadata.TryAdd(key, value);
        }

        return new(write.Key, write.Value, StateOperationType.Upsert, write.ETag, metadata, write.Options);
    }
}
