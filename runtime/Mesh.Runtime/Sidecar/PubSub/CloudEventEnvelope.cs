using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mesh.Runtime.Sidecar.PubSub;

/// <summary>
/// Builds the CloudEvents 1.0 envelope the way daprd does on publish (the fields, their defaults and how
/// data is embedded), and reads envelopes back on delivery. Written with JsonNode rather than a CloudEvents
/// SDK because daprd's envelope has non-standard habits to reproduce byte for byte in meaning: traceid and
/// traceparent both set, JSON data embedded as a value, and pass-through of an envelope the app built itself.
/// </summary>
public static class CloudEventEnvelope
{
    /// <summary>The content type of a structured CloudEvent.</summary>
    public const string ContentType = "application/cloudevents+json";

    /// <summary>The envelope for data published by <paramref name="appId"/>.</summary>
    public static byte[] Wrap(
        ReadOnlySpan<byte> data, string? dataContentType, string appId, string pubsubName, string topic, IReadOnlyDictionary<string, string> metadata)
    {
        var contentType = string.IsNullOrEmpty(dataContentType) ? "text/plain" : dataContentType;
        JsonObject envelope;
        if (IsCloudEvent(contentType))
        {
            // The app sent a CloudEvent: keep its fields, overwrite topic/pubsubname, default what is missing.
            envelope = JsonNode.Parse(data.ToArray()) as JsonObject
                ?? throw new FormatException("data with content type application/cloudevents+json is not a JSON object");
        }
        else
        {
            envelope = new JsonObject
            {
                ["id"] = metadata.GetValueOrDefault("cloudevent.id") ?? Guid.NewGuid().ToString(),
                ["datacontenttype"] = contentType,
            };
            SetData(envelope, data, contentType);
        }

        var trace = Activity.Current?.Id ?? $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-01";
        envelope.TryAdd("specversion", "1.0");
        envelope.TryAdd("source", metadata.GetValueOrDefault("cloudevent.source") ?? appId);
        envelope.TryAdd("type", metadata.GetValueOrDefault("cloudevent.type") ?? "com.dapr.event.sent");
        envelope.TryAdd("time", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        envelope.TryAdd("traceid", trace);
        envelope.TryAdd("traceparent", trace);
        envelope.TryAdd("tracestate", "");
        if (metadata.TryGetValue("cloudevent.subject", out var subject))
        {
            envelope.TryAdd("subject", subject);
        }

        if (metadata.TryGetValue("ttlInSeconds", out var ttl) && int.TryParse(ttl, out var seconds))
        {
            envelope["expiration"] = DateTimeOffset.UtcNow.AddSeconds(seconds).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }

        envelope["topic"] = topic;
        envelope["pubsubname"] = pubsubName;
        return JsonSerializer.SerializeToUtf8Bytes(envelope);
    }

    /// <summary>The envelope a rawPayload subscriber receives for bytes published raw: data_base64 of those bytes.</summary>
    public static JsonObject SynthesizeForRaw(ReadOnlySpan<byte> raw, string messageId, string pubsubName, string topic) => new()
    {
        ["id"] = messageId,
        ["specversion"] = "1.0",
        ["source"] = pubsubName,
        ["type"] = "com.dapr.event.sent",
        ["datacontenttype"] = "application/octet-stream",
        ["data_base64"] = Convert.ToBase64String(raw),
        ["topic"] = topic,
        ["pubsubname"] = pubsubName,
    };

    /// <summary>Parses stored bytes as an envelope; null when they are not a JSON object.</summary>
    public static JsonObject? TryParse(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return JsonNode.Parse(bytes.ToArray()) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>True when the envelope's <c>expiration</c> has passed.</summary>
    public static bool IsExpired(JsonObject envelope, DateTimeOffset now) =>
        envelope["expiration"]?.GetValue<string>() is { } expiration
        && DateTimeOffset.TryParse(expiration, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
        && at < now;

    /// <summary>The data bytes of an envelope (data as JSON value or string, or data_base64).</summary>
    public static byte[] DataOf(JsonObject envelope)
    {
        if (envelope["data_base64"] is { } base64)
        {
            return Convert.FromBase64String(base64.GetValue<string>());
        }

        return envelope["data"] switch
        {
            null => [],
            JsonValue value when value.TryGetValue<string>(out var text) && !IsJson(envelope) => Encoding.UTF8.GetBytes(text),
            var node => JsonSerializer.SerializeToUtf8Bytes(node),
        };
    }

    private static void SetData(JsonObject envelope, ReadOnlySpan<byte> data, string contentType)
    {
        if (IsJsonContentType(contentType))
        {
            try
            {
                envelope["data"] = JsonNode.Parse(data.ToArray());
                return;
            }
            catch (JsonException)
            {
                // Not valid JSON despite the content type: daprd falls back to a string.
            }
        }

        if (contentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase) || contentType.Contains("protobuf", StringComparison.OrdinalIgnoreCase))
        {
            envelope["data_base64"] = Convert.ToBase64String(data);
        }
        else
        {
            envelope["data"] = Encoding.UTF8.GetString(data);
        }
    }

    private static bool IsJson(JsonObject envelope) => IsJsonContentType(envelope["datacontenttype"]?.GetValue<string>() ?? "application/json");

    private static bool IsJsonContentType(string contentType) =>
        contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
        || (contentType.Contains("+json", StringComparison.OrdinalIgnoreCase) && !IsCloudEvent(contentType));

    private static bool IsCloudEvent(string contentType) => contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase);
}
