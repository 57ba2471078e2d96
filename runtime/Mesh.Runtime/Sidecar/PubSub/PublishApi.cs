using Grpc.Core;
using Mesh.Runtime.Components;

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

    /// <summary>Publishes one event as daprd does: enveloped unless <c>rawPayload=true</c>.</summary>
    public async Task PublishAsync(string pubsubName, string topic, ReadOnlyMemory<byte> data, string? contentType, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var pubsub = Component(pubsubName);
        if (string.IsNullOrEmpty(topic))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"topic is empty in pubsub {pubsubName}"));
        }

        byte[] payload;
        if (metadata.TryGetValue("rawPayload", out var raw) && bool.TryParse(raw, out var isRaw) && isRaw)
        {
            payload = data.ToArray();
        }
        else
        {
            try
            {
                payload = CloudEventEnvelope.Wrap(data.Span, contentType, settings.App.AppId, pubsubName, topic, metadata);
            }
            catch (Exception e) when (e is FormatException or System.Text.Json.JsonException)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"error when publishing to topic {topic} in pubsub {pubsubName}: {e.Message}"));
            }
        }

        await pubsub.PublishAsync(topic, payload, metadata, cancellationToken);
    }
}
