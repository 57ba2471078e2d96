using System.Diagnostics;
using Grpc.Core;
using Mesh.Runtime.Components;
using Mesh.Runtime.Telemetry;

namespace Mesh.Runtime.Sidecar.PubSub;

/// <summary>The publish side of pub/sub: component lookup, envelope, rawPayload.</summary>
public sealed class PublishApi(SidecarSettings settings)
{
    /// <summary>The pub/sub component, or the error daprd answers.</summary>
    public IPubSub Component(string name)
    {
        if (settings.PubSubs.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "pubsub is not configured"));
        }

        if (string.IsNullOrEmpty(name))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "pubsub name is empty"));
        }

        return settings.PubSubs.TryGetValue(name, out var pubsub)
            ? pubsub
            : throw new RpcException(new Status(StatusCode.InvalidArgument, $"pubsub {name} is not found"));
    }

    /// <summary>
    /// Publishes the entries of one bulk request in parallel, as daprd's default bulk publisher does; an entry's
    /// metadata overrides the request's. Returns the entries that failed, with why; the others are published.
    /// </summary>
    public async Task<IReadOnlyList<(string EntryId, string Error)>> BulkPublishAsync(
        string pubsubName,
        string topic,
        IEnumerable<BulkPublishEntry> entries,
        IReadOnlyDictionary<string, string> metadata,
        CancellationToken cancellationToken)
    {
        Component(pubsubName);
        var all = entries.ToList();
        // Failures are reported by entry id, so each must name one entry, as daprd requires.
        if (all.FirstOrDefault(e => e.EntryId.Length == 0) is not null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"an entry of the bulk publish to {topic} has no entryId"));
        }

        if (all.GroupBy(e => e.EntryId, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } repeated)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"entryId {repeated.Key} is not unique in the request"));
        }

        var outcomes = await Task.WhenAll(all.Select(async entry =>
        {
            var merged = new Dictionary<string, string>(metadata);
            foreach (var (key, value) in entry.Metadata)
            {
                merged[key] = value;
            }

            try
            {
                await PublishAsync(pubsubName, topic, entry.Event, entry.ContentType, merged, cancellationToken);
                return (entry.EntryId, Error: (string?)null);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return (entry.EntryId, Error: e is RpcException rpc ? rpc.Status.Detail : e.Message);
            }
        }));
        return [.. outcomes.Where(o => o.Error is not null).Select(o => (o.EntryId, o.Error!))];
    }

    /// <summary>
    /// Publishes one event as daprd does: enveloped unless <c>rawPayload=true</c>, under a producer span whose trace
    /// context the envelope carries (<c>traceparent</c>), counted in <c>dapr_component_pubsub_egress_count</c>.
    /// </summary>
    public async Task PublishAsync(string pubsubName, string topic, ReadOnlyMemory<byte> data, string? contentType, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var pubsub = Component(pubsubName);
        if (string.IsNullOrEmpty(topic))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"topic is empty in pubsub {pubsubName}"));
        }

        using var span = SidecarTelemetry.StartSpan($"{topic} publish", ActivityKind.Producer, settings.App.AppId);
        span?.SetTag("messaging.system", "dapr").SetTag("messaging.destination.name", topic).SetTag("dapr.component", pubsubName);
        var started = Stopwatch.GetTimestamp();
        var success = false;
        try
        {
            await EnvelopeAndPublishAsync(pubsub, pubsubName, topic, data, contentType, metadata, cancellationToken);
            success = true;
        }
        finally
        {
            span?.SetStatus(success ? ActivityStatusCode.Ok : ActivityStatusCode.Error);
            SidecarTelemetry.Published(settings.App.AppId, pubsubName, topic, success, Stopwatch.GetElapsedTime(started));
        }
    }

    private async Task EnvelopeAndPublishAsync(IPubSub pubsub, string pubsubName, string topic, ReadOnlyMemory<byte> data, string? contentType, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {

        byte[] payload;
        if (metadata.TryGetValue("rawPayload", out var raw) && bool.TryParse(raw, out var isRaw) && isRaw)
        {
            payload = data.ToArray();
        }
        else
        {
            try
            {
                payload = CloudEventEnvelope.Wrap(data.Span, contentType, settings.App.AppId, pubsubName, topic, metadata, settings.Time);
            }
            catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"error when publishing to topic {topic} in pubsub {pubsubName}: {e.Message}"));
            }
        }

        await pubsub.PublishAsync(topic, payload, metadata, cancellationToken);
    }
}

/// <summary>One entry of a bulk publish request.</summary>
/// <param name="EntryId">The caller's id for it, unique in the request.</param>
/// <param name="Event">The event's bytes.</param>
/// <param name="ContentType">Their content type.</param>
/// <param name="Metadata">The entry's own metadata.</param>
public sealed record BulkPublishEntry(string EntryId, ReadOnlyMemory<byte> Event, string? ContentType, IReadOnlyDictionary<string, string> Metadata);
