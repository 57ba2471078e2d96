using System.Buffers;
using System.Text.Json;
using Mesh.Runtime.Components;

namespace Mesh.Runtime.Sidecar.PubSub;

/// <summary>
/// The wire format of a bulk delivery, as daprd's default bulk subscriber speaks it: the POST body of a batch
/// (<c>entries</c> of <c>entryId</c>, <c>event</c>, <c>metadata</c>, <c>contentType</c>, then the batch's <c>id</c>,
/// <c>metadata</c>, <c>pubsubname</c>, <c>topic</c>, <c>type</c>) and the app's <c>statuses</c> answer.
/// </summary>
internal static class BulkDeliveryBody
{
    /// <summary>The content type of the batch.</summary>
    public const string ContentType = "application/json";

    private const string BatchType = "com.dapr.event.sent.bulk";

    /// <summary>The app's answer: status per entryId (as the app spelt it); a body that is no answer gives none.</summary>
    public static async Task<Dictionary<string, string>> StatusesAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return statuses;
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!string.Equals(property.Name, "statuses", StringComparison.OrdinalIgnoreCase) || property.Value.ValueKind != JsonValueKind.Array)
                {
                    continue;
                }

                foreach (var status in property.Value.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.Object))
                {
                    string? entryId = null, value = null;
                    foreach (var field in status.EnumerateObject())
                    {
                        if (string.Equals(field.Name, "entryId", StringComparison.OrdinalIgnoreCase) && field.Value.ValueKind == JsonValueKind.String)
                        {
                            entryId = field.Value.GetString();
                        }
                        else if (string.Equals(field.Name, "status", StringComparison.OrdinalIgnoreCase) && field.Value.ValueKind == JsonValueKind.String)
                        {
                            value = field.Value.GetString();
                        }
                    }

                    if (entryId is not null && value is not null)
                    {
                        statuses[entryId] = value;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: every entry is retried.
        }

        return statuses;
    }

    /// <summary>The request body daprd builds for <paramref name="entries"/>: its keys in the order Go's map encoding gives them.</summary>
    public static ReadOnlyMemory<byte> Write(string batchId, Subscription subscription, IEnumerable<(string EntryId, TopicMessage Message, ReadOnlyMemory<byte> Event)> entries)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("entries");
            foreach (var (entryId, message, body) in entries)
            {
                writer.WriteStartObject();
                writer.WriteString("entryId", entryId);
                if (subscription.RawPayload)
                {
                    writer.WriteBase64String("event", message.Data.Span);
                }
                else
                {
                    writer.WritePropertyName("event");
                    writer.WriteRawValue(body.Span, skipInputValidation: true); // parsed already by Prepare
                }

                writer.WritePropertyName("metadata");
                if (message.Metadata.Count == 0)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    writer.WriteStartObject();
                    foreach (var (key, value) in message.Metadata)
                    {
                        writer.WriteString(key, value);
                    }

                    writer.WriteEndObject();
                }

                writer.WriteString("contentType", subscription.RawPayload ? "application/octet-stream" : CloudEventEnvelope.ContentType);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("id", batchId);
            writer.WriteStartObject("metadata");
            writer.WriteString("pubsubName", subscription.PubsubName);
            writer.WriteEndObject();
            writer.WriteString("pubsubname", subscription.PubsubName);
            writer.WriteString("topic", subscription.Topic);
            writer.WriteString("type", BatchType);
            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }
}
