using System.Buffers;
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

    /// <summary>The envelope for data published by <paramref name="appId"/>; <paramref name="time"/> (the system clock by default) gives its time and expiration.</summary>
    public static byte[] Wrap(
        ReadOnlySpan<byte> data, string? dataContentType, string appId, string pubsubName, string topic, IReadOnlyDictionary<string, string> metadata, TimeProvider? time = null)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow();
        var contentType = string.IsNullOrEmpty(dataContentType) ? "text/plain" : dataContentType;
        if (IsCloudEvent(contentType))
        {
            return WrapCloudEvent(data, appId, pubsubName, topic, metadata, now);
        }

        // The common path writes the envelope in one pass; publish throughput depends on it.
        var buffer = new ArrayBufferWriter<byte>(data.Length + 512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", metadata.GetValueOrDefault("cloudevent.id") ?? Guid.NewGuid().ToString());
            writer.WriteString("datacontenttype", contentType);
            if (IsJsonContentType(contentType) && IsValidJson(data))
            {
                writer.WritePropertyName("data");
                writer.WriteRawValue(data, skipInputValidation: true);
            }
            else if (IsBinary(contentType))
            {
                writer.WriteBase64String("data_base64", data);
            }
            else
            {
                writer.WriteString("data", Encoding.UTF8.GetString(data));
            }

            foreach (var (name, value) in Defaults(appId, metadata, now))
            {
                writer.WriteString(name, value);
            }

            if (metadata.TryGetValue("cloudevent.subject", out var subject))
            {
                writer.WriteString("subject", subject);
            }

            if (Expiration(metadata, now) is { } expiration)
            {
                writer.WriteString("expiration", expiration);
            }

            writer.WriteString("topic", topic);
            writer.WriteString("pubsubname", pubsubName);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    // The app sent a CloudEvent: keep its fields, overwrite topic/pubsubname, default what is missing.
    private static byte[] WrapCloudEvent(ReadOnlySpan<byte> data, string appId, string pubsubName, string topic, IReadOnlyDictionary<string, string> metadata, DateTimeOffset now)
    {
        var envelope = JsonNode.Parse(data.ToArray()) as JsonObject
            ?? throw new FormatException("data with content type application/cloudevents+json is not a JSON object");
        foreach (var (name, value) in Defaults(appId, metadata, now))
        {
            envelope.TryAdd(name, value);
        }
        if (Expiration(metadata, now) is { } expiration)
        {
            envelope["expiration"] = expiration;
        }

        envelope["topic"] = topic;
        envelope["pubsubname"] = pubsubName;
        return JsonSerializer.SerializeToUtf8Bytes(envelope);
    }

    // The attributes daprd sets when the publisher did not: CloudEvents basics and W3C trace context.
    private static IEnumerable<(string Name, string Value)> Defaults(string appId, IReadOnlyDictionary<string, string> metadata, DateTimeOffset now)
    {
        var trace = TraceParent();
        yield return ("specversion", "1.0");
        yield return ("source", metadata.GetValueOrDefault("cloudevent.source") ?? appId);
        yield return ("type", metadata.GetValueOrDefault("cloudevent.type") ?? "com.dapr.event.sent");
        yield return ("time", Format(now));
        yield return ("traceid", trace);
        yield return ("traceparent", trace);
        yield return ("tracestate", Activity.Current?.TraceStateString ?? "");
    }

    private static string TraceParent() => Activity.Current?.Id ?? $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-01";

    private static string Format(DateTimeOffset time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string? Expiration(IReadOnlyDictionary<string, string> metadata, DateTimeOffset now) =>
        metadata.TryGetValue("ttlInSeconds", out var ttl) && int.TryParse(ttl, out var seconds) ? Format(now.AddSeconds(seconds)) : null;

    // Data declared as JSON but not valid JSON is embedded as a string, as daprd falls back to.
    private static bool IsValidJson(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            while (reader.Read())
            {
            }

            return reader.BytesConsumed > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsBinary(string contentType) =>
        contentType.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase) || contentType.Contains("protobuf", StringComparison.OrdinalIgnoreCase);

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
    public static JsonDocument? TryParse(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document;
            }

            document.Dispose();
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A string attribute of the envelope, or null.</summary>
    public static string? Attribute(JsonElement envelope, string name) =>
        envelope.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>True when the envelope's <c>expiration</c> has passed.</summary>
    public static bool IsExpired(JsonElement envelope, DateTimeOffset now) =>
        Attribute(envelope, "expiration") is { } expiration
        && DateTimeOffset.TryParse(expiration, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
        && at < now;

    /// <summary>The data bytes of an envelope (data as JSON value or string, or data_base64).</summary>
    public static byte[] DataOf(JsonElement envelope)
    {
        if (Attribute(envelope, "data_base64") is { } base64)
        {
            return Convert.FromBase64String(base64);
        }

        if (!envelope.TryGetProperty("data", out var data))
        {
            return [];
        }

        var json = IsJsonContentType(Attribute(envelope, "datacontenttype") ?? "application/json");
        return data.ValueKind == JsonValueKind.String && !json ? Encoding.UTF8.GetBytes(data.GetString()!) : Encoding.UTF8.GetBytes(data.GetRawText());
    }

    private static bool IsJsonContentType(string contentType) =>
        contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
        || (contentType.Contains("+json", StringComparison.OrdinalIgnoreCase) && !IsCloudEvent(contentType));

    private static bool IsCloudEvent(string contentType) => contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase);
}
