using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Mesh.Runtime.Components;

namespace Mesh.Runtime.Sidecar.State;

/// <summary>One operation of a state transaction with the metadata the caller gave it.</summary>
/// <param name="Operation">The write or delete, its key already prefixed.</param>
/// <param name="Metadata">The operation's metadata (e.g. <c>outbox.projection</c>, <c>type</c>, <c>ttlInSeconds</c>).</param>
public sealed record TransactionOperation(StateOperation Operation, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// The publish half of Dapr's transactional outbox (daprd pkg/runtime/pubsub/outbox.go, PublishInternal), run before a
/// transaction on an outbox-enabled store is written. For each upsert it adds a marker write (raw key
/// <c>outbox-{uuid}</c>, value <c>"0"</c>) to the transaction and publishes a CloudEvent with the marker key as its id to
/// the internal topic; <see cref="OutboxRelay"/> republishes that event to the store's topic once it sees the marker,
/// that is once the transaction committed. A failed transaction leaves no marker, so its events never go out.
/// </summary>
/// <remarks>
/// Reproduced as daprd has it, quirks included, so a transaction Mesh accepts behaves the same on daprd: an upsert
/// marked <c>outbox.projection</c> is not written and replaces the payload of the upsert of the same key; the
/// projections are taken out of the operation list in place, as daprd's loop does, which skips the operation after
/// each one it removes (place a projection, then the write it projects, then the next projection). Every other
/// upsert publishes its own value. Operation metadata becomes top-level CloudEvent attributes as given, except
/// <c>data</c> and <c>id</c>: <c>type</c> or <c>source</c> override those attributes, <c>cloudevent.type</c> does not.
/// </remarks>
public sealed class TransactionalOutbox(SidecarSettings settings, TimeProvider time)
{
    /// <summary>The prefix of marker keys, stored without the app's key prefix.</summary>
    public const string MarkerPrefix = "outbox-";

    // daprd writes the Go string "0", which state stores store JSON-encoded.
    private static readonly byte[] MarkerValue = "\"0\""u8.ToArray();

    /// <summary>The outbox-enabled state stores the app sees, by name.</summary>
    public IReadOnlyDictionary<string, OutboxSettings> Outboxes { get; } = OutboxSettings.Of(settings.Components, settings.App.AppId);

    /// <summary>
    /// The operations to write for a transaction on <paramref name="store"/>: as given for a store without an outbox;
    /// otherwise without its projections and with a marker per upsert, once each upsert's event is on the internal
    /// topic. INTERNAL "error while publishing outbox message" (daprd's ERR_PUBLISH_OUTBOX) when an event cannot be
    /// published; then nothing is written.
    /// </summary>
    public async Task<IReadOnlyList<StateOperation>> PublishInternalAsync(string store, IReadOnlyList<TransactionOperation> operations, CancellationToken cancellationToken)
    {
        if (!Outboxes.TryGetValue(store, out var outbox))
        {
            return [.. operations.Select(o => o.Operation)];
        }

        try
        {
            var (written, projections) = SplitProjections(operations);
            var pubsub = settings.PubSubs.GetValueOrDefault(outbox.OutboxPubSub) ?? throw new InvalidOperationException($"pubsub '{outbox.OutboxPubSub}' not found");
            var markers = new List<StateOperation>();
            var (traceId, traceState) = (Activity.Current?.Id ?? "", Activity.Current?.TraceStateString ?? "");
            foreach (var operation in written.Where(o => o.Operation.Set is not null))
            {
                var marker = $"{MarkerPrefix}{Guid.NewGuid()}";
                var payload = projections.GetValueOrDefault(operation.Operation.Set!.Key) ?? operation;
                var envelope = Envelope(marker, outbox.OutboxPubSub, payload, operation.Metadata, traceId, traceState);
                await pubsub.PublishAsync(outbox.InternalTopic(settings.App.AppId), envelope, new Dictionary<string, string>(), cancellationToken);
                markers.Add(new StateOperation(new StateSetRequest(marker, MarkerValue, null, StateConcurrency.LastWrite), null));
            }

            return [.. written.Select(o => o.Operation), .. markers];
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"error while publishing outbox message: {(e is RpcException rpc ? rpc.Status.Detail : e.Message)}"));
        }
    }

    // daprd removes each projection with append(ops[:i], ops[i+1:]...) while ranging over the original slice, so after
    // a removal the loop reads the element after next, and the tail it reads last repeats the final element. A
    // removal past the shortened length panics in daprd; here it is refused. A later projection of a key wins.
    private static (List<TransactionOperation> Written, Dictionary<string, TransactionOperation> Projections) SplitProjections(IReadOnlyList<TransactionOperation> operations)
    {
        var slots = operations.ToArray();
        var length = slots.Length;
        var projections = new Dictionary<string, TransactionOperation>(StringComparer.Ordinal);
        for (var i = 0; i < slots.Length; i++)
        {
            var operation = slots[i];
            if (operation.Operation.Set is not { } set || !OutboxSettings.IsTruthy(operation.Metadata.GetValueOrDefault(OutboxSettings.ProjectionKey)))
            {
                continue;
            }

            if (i + 1 > length)
            {
                throw new InvalidOperationException(
                    $"the outbox.projection of key '{set.Key}' is where daprd's removal of projections runs past the list (its runtime panics); put each projection before the write it projects");
            }

            projections[set.Key] = operation;
            Array.Copy(slots, i + 1, slots, i, length - i - 1);
            length--;
        }

        return ([.. slots.Take(length)], projections);
    }

    // contribPubsub.NewCloudEventsEnvelope as the outbox calls it: no type (so the default), no subject, no topic, no
    // traceparent; then traceid set and the operation's metadata copied over the attributes.
    private byte[] Envelope(string id, string pubsubName, TransactionOperation payload, IReadOnlyDictionary<string, string> metadata, string traceId, string traceState)
    {
        var contentType = payload.Metadata.GetValueOrDefault("contentType") ?? "";
        var dataContentType = contentType.Length > 0 ? contentType : "text/plain";
        var data = payload.Operation.Set!.Value;
        var envelope = new JsonObject
        {
            ["id"] = id,
            ["specversion"] = "1.0",
            ["datacontenttype"] = dataContentType,
            ["source"] = settings.App.AppId,
            ["type"] = "com.dapr.event.sent",
            ["topic"] = "",
            ["pubsubname"] = pubsubName,
            ["traceid"] = traceId,
            ["traceparent"] = "",
            ["tracestate"] = traceState,
            ["time"] = time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        };
        if (IsContentType(dataContentType, "application/json") && TryParse(data, out var json))
        {
            envelope["data"] = json;
        }
        else if (IsContentType(dataContentType, "application/octet-stream") || IsContentType(dataContentType, "application/cloudevents+protobuf"))
        {
            envelope["data_base64"] = Convert.ToBase64String(data.Span);
        }
        else
        {
            envelope["data"] = Encoding.UTF8.GetString(data.Span);
        }

        foreach (var (name, value) in metadata)
        {
            if (name is not ("data" or "id"))
            {
                envelope[name] = value;
            }
        }

        return JsonSerializer.SerializeToUtf8Bytes(envelope);
    }

    // components-contrib's isContentType: the type itself, or the type before its parameters, in any case.
    private static bool IsContentType(string contentType, string expected) =>
        string.Equals(contentType.Split(';')[0], expected, StringComparison.OrdinalIgnoreCase);

    // Data declared JSON that does not parse travels as a string, as daprd falls back to.
    private static bool TryParse(ReadOnlyMemory<byte> data, out JsonNode? json)
    {
        try
        {
            json = JsonNode.Parse(data.Span);
            return true;
        }
        catch (JsonException)
        {
            json = null;
            return false;
        }
    }
}
