using Google.Protobuf;
using Google.Protobuf.Collections;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Options.V1;

namespace Mesh.Contracts.Classification;

/// <summary>
/// Produces copies of messages that are safe to log, trace or put in an error: every value classified
/// PII or PHI (directly or through an enclosing field) is replaced by a marker or cleared.
/// </summary>
public static class Redaction
{
    /// <summary>The text that replaces a redacted PHI string.</summary>
    public const string PhiMarker = "[REDACTED:PHI]";

    /// <summary>The text that replaces a redacted PII string.</summary>
    public const string PiiMarker = "[REDACTED:PII]";

    /// <summary>A deep copy of <paramref name="message"/> with PII and PHI values redacted.</summary>
    public static T Redact<T>(T message)
        where T : IMessage
    {
        ArgumentNullException.ThrowIfNull(message);
        var copy = message.Descriptor.Parser.ParseFrom(message.ToByteString());
        RedactInPlace(copy, DataClassification.Unspecified);
        return (T)copy;
    }

    /// <summary>True when the message type has any field that would be redacted.</summary>
    public static bool HasSensitiveFields(MessageDescriptor descriptor) =>
        DataClassifications.EffectiveClassifications(descriptor).Values.Any(DataClassifications.IsSensitive);

    // Every Mesh message type, so Any payloads can be opened, redacted and packed again.
    private static readonly Lazy<TypeRegistry> MeshTypes = new(() => TypeRegistry.FromFiles([.. ContractCatalog.Files]));

    private static void RedactInPlace(IMessage message, DataClassification inherited)
    {
        if (message is Any any)
        {
            RedactAny(any, inherited);
            return;
        }

        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            var effective = DataClassifications.Stricter(inherited, DataClassifications.Of(field));
            var accessor = field.Accessor;
            if (field.IsMap)
            {
                if (DataClassifications.IsSensitive(effective))
                {
                    accessor.Clear(message);
                }
                else if (field.MessageType.FindFieldByNumber(2).FieldType == FieldType.Message)
                {
                    foreach (var value in ((System.Collections.IDictionary)accessor.GetValue(message)).Values)
                    {
                        RedactInPlace((IMessage)value, effective);
                    }
                }

                continue;
            }

            if (field.IsRepeated)
            {
                RedactRepeated(field, (System.Collections.IList)accessor.GetValue(message), effective);
                continue;
            }

            if (field.FieldType == FieldType.Message)
            {
                if (accessor.GetValue(message) is IMessage child)
                {
                    RedactInPlace(child, effective);
                }

                continue;
            }

            if (!DataClassifications.IsSensitive(effective) || !HasValue(field, message))
            {
                continue;
            }

            if (field.FieldType == FieldType.String)
            {
                accessor.SetValue(message, Marker(effective));
            }
            else
            {
                accessor.Clear(message);
            }
        }
    }

    // An Any of a known Mesh type is redacted inside; one of an unknown type is emptied, since its
    // classification cannot be read.
    private static void RedactAny(Any any, DataClassification inherited)
    {
        var descriptor = any.TypeUrl.Length == 0 ? null : MeshTypes.Value.Find(Any.GetTypeName(any.TypeUrl));
        if (descriptor is null)
        {
            any.Value = ByteString.Empty;
            return;
        }

        var inner = descriptor.Parser.ParseFrom(any.Value);
        RedactInPlace(inner, inherited);
        any.Value = inner.ToByteString();
    }

    private static void RedactRepeated(FieldDescriptor field, System.Collections.IList list, DataClassification effective)
    {
        if (field.FieldType == FieldType.Message)
        {
            foreach (IMessage item in list)
            {
                RedactInPlace(item, effective);
            }

            return;
        }

        if (!DataClassifications.IsSensitive(effective))
        {
            return;
        }

        if (list is RepeatedField<string> strings)
        {
            for (var i = 0; i < strings.Count; i++)
            {
                strings[i] = Marker(effective);
            }
        }
        else
        {
            list.Clear();
        }
    }

    private static bool HasValue(FieldDescriptor field, IMessage message) =>
        field.HasPresence ? field.Accessor.HasValue(message) : !Equals(field.Accessor.GetValue(message), DefaultOf(field));

    private static object? DefaultOf(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.String => "",
        FieldType.Bytes => ByteString.Empty,
        FieldType.Bool => false,
        FieldType.Double => 0d,
        FieldType.Float => 0f,
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => 0L,
        FieldType.UInt64 or FieldType.Fixed64 => 0UL,
        FieldType.UInt32 or FieldType.Fixed32 => 0U,
        FieldType.Enum => 0,
        _ => 0,
    };

    private static string Marker(DataClassification classification) =>
        classification == DataClassification.Phi ? PhiMarker : PiiMarker;
}
