using Google.Protobuf;
using Google.Protobuf.Reflection;
using Mesh.Contracts.Classification;

namespace Mesh.Ingest.Mapping;

/// <summary>
/// Canonical field paths over protobuf descriptors: "patient.mrn" walks into a message field, and
/// "supplier_part_numbers[].part_number" into the one element a mapped row gives a repeated message field. The
/// same walk serves the mapping engine (setting values) and the contract check (types).
/// </summary>
public static class CanonicalFields
{
    private static readonly Lazy<Dictionary<string, MessageDescriptor>> Compiled = new(() =>
        ContractCatalog.Messages.ToDictionary(m => m.FullName, StringComparer.Ordinal));

    /// <summary>The message compiled into Mesh.Contracts with this full name, or null.</summary>
    public static MessageDescriptor? CompiledMessage(string fullName) => Compiled.Value.GetValueOrDefault(fullName);

    /// <summary>The field <paramref name="path"/> ends at, or the reason it does not resolve in <paramref name="root"/>.</summary>
    public static (FieldDescriptor? Field, bool Element, string? Error) Resolve(MessageDescriptor root, string path)
    {
        var message = root;
        var parts = path.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            var element = parts[i].EndsWith("[]", StringComparison.Ordinal);
            var name = element ? parts[i][..^2] : parts[i];
            var field = message.FindFieldByName(name);
            if (field is null)
            {
                return (null, false, $"{message.FullName} has no field '{name}'");
            }

            if (element != field.IsRepeated)
            {
                return (null, false, element ? $"{message.FullName}.{name} is not repeated, so '[]' does not apply" : $"{message.FullName}.{name} is repeated; write {name}[] to map one element");
            }

            if (i == parts.Length - 1)
            {
                return (field, element, null);
            }

            if (field.FieldType != FieldType.Message)
            {
                return (null, false, $"{message.FullName}.{name} is {TypeName(field, element)}, not a message, so '{string.Join('.', parts[(i + 1)..])}' cannot be under it");
            }

            message = field.MessageType;
        }

        return (null, false, "the path is empty");
    }

    /// <summary>The type of a field as mappings write it: "string", "int64", a message or enum full name; "repeated X" for a whole repeated field.</summary>
    public static string TypeName(FieldDescriptor field, bool element)
    {
        var type = field.FieldType switch
        {
            FieldType.Message => field.MessageType.FullName,
            FieldType.Enum => field.EnumType.FullName,
            _ => field.FieldType.ToString().ToLowerInvariant(),
        };
        return field.IsRepeated && !element ? $"repeated {type}" : type;
    }

    /// <summary>Sets the value at <paramref name="path"/>, creating the messages (and the one repeated element) on the way.</summary>
    public static void Set(IMessage root, string path, object value)
    {
        var message = root;
        var parts = path.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            var element = parts[i].EndsWith("[]", StringComparison.Ordinal);
            var field = message.Descriptor.FindFieldByName(element ? parts[i][..^2] : parts[i])!;
            if (i == parts.Length - 1)
            {
                if (element)
                {
                    ((System.Collections.IList)field.Accessor.GetValue(message)).Add(value);
                }
                else
                {
                    field.Accessor.SetValue(message, value);
                }

                return;
            }

            message = Child(message, field, element);
        }
    }

    /// <summary>The value at <paramref name="path"/> of <paramref name="root"/>, as text, or null when unset.</summary>
    public static string? Read(IMessage root, string path)
    {
        object? current = root;
        foreach (var part in path.Split('.'))
        {
            if (current is not IMessage message || message.Descriptor.FindFieldByName(part) is not { IsRepeated: false } field)
            {
                return null;
            }

            current = field.Accessor.GetValue(message);
        }

        return current switch
        {
            null => null,
            string text => text.Length == 0 ? null : text,
            IMessage => null,
            var other => other.ToString(),
        };
    }

    private static IMessage Child(IMessage message, FieldDescriptor field, bool element)
    {
        if (element)
        {
            var list = (System.Collections.IList)field.Accessor.GetValue(message);
            if (list.Count == 0)
            {
                list.Add(New(field.MessageType));
            }

            return (IMessage)list[0]!;
        }

        if (field.Accessor.GetValue(message) is IMessage existing)
        {
            return existing;
        }

        var created = New(field.MessageType);
        field.Accessor.SetValue(message, created);
        return created;
    }

    /// <summary>A new, empty message of the descriptor's compiled type.</summary>
    public static IMessage New(MessageDescriptor descriptor) => descriptor.Parser.ParseFrom(ByteString.Empty);
}
