using Google.Protobuf.Reflection;

namespace Mesh.Registry.Cli;

/// <summary>A structural diff of two versions' own files: what was added, removed or changed.</summary>
internal static class SchemaDiff
{
    /// <summary>Lines starting "+", "-" or "~", in name order.</summary>
    public static IReadOnlyList<string> Between(FileDescriptorSet from, FileDescriptorSet to)
    {
        var before = Elements(from);
        var after = Elements(to);
        var lines = new List<string>();
        foreach (var key in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var had = before.TryGetValue(key, out var old);
            var has = after.TryGetValue(key, out var now);
            if (had && !has)
            {
                lines.Add($"- {key} {old}");
            }
            else if (!had && has)
            {
                lines.Add($"+ {key} {now}");
            }
            else if (old != now)
            {
                lines.Add($"~ {key} {old} -> {now}");
            }
        }

        return lines;
    }

    private static Dictionary<string, string> Elements(FileDescriptorSet set)
    {
        var elements = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in set.File)
        {
            elements[$"file {file.Name}"] = $"(package {file.Package})";
            foreach (var message in file.MessageType)
            {
                AddMessage(elements, $"{file.Package}.{message.Name}", message);
            }

            foreach (var e in file.EnumType)
            {
                AddEnum(elements, $"{file.Package}.{e.Name}", e);
            }

            foreach (var service in file.Service)
            {
                elements[$"service {file.Package}.{service.Name}"] = "";
                foreach (var method in service.Method)
                {
                    elements[$"rpc {file.Package}.{service.Name}.{method.Name}"] = $"({method.InputType}) returns ({method.OutputType})";
                }
            }
        }

        return elements;
    }

    private static void AddMessage(Dictionary<string, string> elements, string name, DescriptorProto message)
    {
        elements[$"message {name}"] = "";
        foreach (var field in message.Field)
        {
            var type = field.HasTypeName ? field.TypeName.TrimStart('.') : field.Type.ToString().ToLowerInvariant();
            elements[$"field {name}.{field.Name}"] = $"= {field.Number} {field.Label.ToString().ToLowerInvariant()} {type}";
        }

        foreach (var nested in message.NestedType.Where(n => n.Options?.MapEntry != true))
        {
            AddMessage(elements, $"{name}.{nested.Name}", nested);
        }

        foreach (var e in message.EnumType)
        {
            AddEnum(elements, $"{name}.{e.Name}", e);
        }
    }

    private static void AddEnum(Dictionary<string, string> elements, string name, EnumDescriptorProto e)
    {
        elements[$"enum {name}"] = "";
        foreach (var value in e.Value)
        {
            elements[$"enum-value {name}.{value.Name}"] = $"= {value.Number}";
        }
    }
}
