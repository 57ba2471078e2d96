using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Mesh.Ingest.Mapping;

/// <summary>
/// Checks mappings against contract descriptors, so a contract change that breaks a mapping is flagged before it
/// is deployed: the produced message must exist in the subject's package, and every mapped field must still
/// exist with the type the mapping declares (and that its conversion produces). Each problem names the mapping
/// file and line.
/// </summary>
public static class MappingCheck
{
    /// <summary>The problems of <paramref name="mappings"/> against messages found by <paramref name="findMessage"/>, as "file:line: ...".</summary>
    public static List<string> Check(IEnumerable<MappingDefinition> mappings, Func<string, MessageDescriptor?> findMessage)
    {
        var problems = new List<string>();
        foreach (var mapping in mappings)
        {
            var message = findMessage(mapping.Message);
            if (message is null)
            {
                problems.Add($"{mapping.File}:{mapping.MessageLine}: {mapping.Key} produces {mapping.Message}, which the {mapping.Subject} contract does not have");
                continue;
            }

            if (message.File.Package != mapping.Subject)
            {
                problems.Add($"{mapping.File}:{mapping.MessageLine}: {mapping.Message} is in package {message.File.Package}, not in subject {mapping.Subject}");
            }

            foreach (var field in mapping.Fields)
            {
                var (leaf, element, error) = CanonicalFields.Resolve(message, field.Target);
                if (leaf is null)
                {
                    problems.Add($"{mapping.File}:{field.Line}: {field.Target}: {error}");
                    continue;
                }

                var actual = CanonicalFields.TypeName(leaf, element);
                if (actual != field.Type)
                {
                    problems.Add($"{mapping.File}:{field.Line}: {field.Target} is {actual} in {mapping.Subject}, but the mapping declares {field.Type}");
                    continue;
                }

                if (Produces(field) is { } produced && produced != actual && !(produced == "enum" && leaf.FieldType == FieldType.Enum))
                {
                    problems.Add($"{mapping.File}:{field.Line}: {field.Target} is {actual}, but {(field.Lookup is not null ? $"lookup {field.Lookup}" : field.Convert is not null ? $"convert {field.Convert}" : "a value without conversion")} gives {produced}");
                }
            }
        }

        return problems;
    }

    /// <summary>The messages of a descriptor set (a registry version or `buf build -o x.binpb`), by full name.</summary>
    public static Func<string, MessageDescriptor?> FromDescriptorSet(byte[] descriptorSet)
    {
        var set = FileDescriptorSet.Parser.ParseFrom(descriptorSet);
        var files = FileDescriptor.BuildFromByteStrings(set.File.Select(f => f.ToByteString()));
        var messages = files.SelectMany(f => f.MessageTypes).SelectMany(Flatten).ToDictionary(m => m.FullName, StringComparer.Ordinal);
        return name => messages.GetValueOrDefault(name);
    }

    private static IEnumerable<MessageDescriptor> Flatten(MessageDescriptor message) => message.NestedTypes.SelectMany(Flatten).Prepend(message);

    // What a field's lookup or conversion sets; lookups give resource names.
    private static string? Produces(MappingField field) => field.Lookup is not null ? "string" : field.Convert switch
    {
        "hl7-timestamp" or "fhir-datetime" => "google.protobuf.Timestamp",
        "quantity" => "mesh.type.v1.Quantity",
        "money" => "mesh.type.v1.Money",
        "bool" => "bool",
        "int64" => "int64",
        "enum" => "enum",
        _ => "string",
    };
}
