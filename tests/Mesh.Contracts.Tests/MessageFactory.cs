using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Contracts.Tests;

/// <summary>
/// Builds a message with every field set to a distinct non-default value (every repeated field with
/// two elements, every map with one entry), so a round trip that drops or mangles any field is seen.
/// </summary>
internal static class MessageFactory
{
    private const int MaxDepth = 6;

    public static IMessage Populated(MessageDescriptor descriptor) => Populate(descriptor, depth: 0, seed: 1);

    private static IMessage Populate(MessageDescriptor descriptor, int depth, int seed)
    {
        var wellKnown = WellKnown(descriptor, seed);
        if (wellKnown is not null)
        {
            return wellKnown;
        }

        var message = descriptor.Parser.ParseFrom(ByteString.Empty);
        if (depth >= MaxDepth)
        {
            return message;
        }

        // Only the last field of a oneof survives; that is what the round trip must keep.
        foreach (var field in descriptor.Fields.InFieldNumberOrder())
        {
            var fieldSeed = seed * 31 + field.FieldNumber;
            if (field.IsMap)
            {
                var map = (System.Collections.IDictionary)field.Accessor.GetValue(message);
                var keyField = field.MessageType.FindFieldByNumber(1);
                var valueField = field.MessageType.FindFieldByNumber(2);
                map[Value(keyField, depth, fieldSeed)!] = Value(valueField, depth, fieldSeed + 1);
            }
            else if (field.IsRepeated)
            {
                var list = (System.Collections.IList)field.Accessor.GetValue(message);
                list.Add(Value(field, depth, fieldSeed));
                list.Add(Value(field, depth, fieldSeed + 7));
            }
            else
            {
                field.Accessor.SetValue(message, Value(field, depth, fieldSeed));
            }
        }

        return message;
    }

    private static object? Value(FieldDescriptor field, int depth, int seed) => field.FieldType switch
    {
        FieldType.String => $"{field.Name}-{seed}",
        FieldType.Bytes => ByteString.CopyFromUtf8($"bytes-{seed}"),
        FieldType.Bool => true,
        FieldType.Double => seed + 0.5d,
        FieldType.Float => seed + 0.25f,
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => seed,
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => (long)seed * 1_000_003,
        FieldType.UInt32 or FieldType.Fixed32 => (uint)seed,
        FieldType.UInt64 or FieldType.Fixed64 => (ulong)seed * 1_000_003,
        FieldType.Enum => field.EnumType.Values.Count > 1 ? field.EnumType.Values[^1].Number : 0,
        FieldType.Message => Populate(field.MessageType, depth + 1, seed),
        _ => throw new NotSupportedException($"{field.FullName}: {field.FieldType}"),
    };

    // Well-known types have JSON forms with value ranges; give them valid values.
    private static IMessage? WellKnown(MessageDescriptor descriptor, int seed) => descriptor.FullName switch
    {
        "google.protobuf.Timestamp" => Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(seed)),
        "google.protobuf.Duration" => Duration.FromTimeSpan(TimeSpan.FromSeconds(seed)),
        "google.protobuf.FieldMask" => new FieldMask { Paths = { "display_name", seed % 2 == 0 ? "par_level" : "reorder_point" } },
        "google.protobuf.Struct" => new Struct { Fields = { ["key"] = Google.Protobuf.WellKnownTypes.Value.ForString($"v{seed}") } },
        "google.protobuf.Value" => Google.Protobuf.WellKnownTypes.Value.ForNumber(seed),
        "google.protobuf.Any" => Any.Pack(new StringValue { Value = $"any-{seed}" }),
        _ => null,
    };
}
