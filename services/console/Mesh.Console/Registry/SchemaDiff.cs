using Google.Protobuf.Reflection;

namespace Mesh.Console.Registry;

/// <summary>How an element differs between two versions.</summary>
public enum DiffKind
{
    /// <summary>Only in the newer version.</summary>
    Added,

    /// <summary>Only in the older version.</summary>
    Removed,

    /// <summary>In both, declared differently.</summary>
    Changed,
}

/// <summary>One element that differs: a message, field, enum, enum value, service or method.</summary>
/// <param name="Kind">How it differs.</param>
/// <param name="Element">What it is, e.g. "field acme.orders.v1.Order.note".</param>
/// <param name="Detail">Its declaration in the older → newer version.</param>
public sealed record DiffLine(DiffKind Kind, string Element, string Detail);

/// <summary>
/// The diff between two registered versions of a subject, computed in the console from their FileDescriptorSets
/// (no registry RPC needed): every message, field, enum, enum value, service and method of the versions' own
/// packages that was added, removed or declared differently (type, number, label, oneof, input/output, streaming).
/// </summary>
public static class SchemaDiff
{
    /// <summary>The differences from <paramref name="older"/> to <paramref name="newer"/>, by element name.</summary>
    public static List<DiffLine> Between(FileDescriptorSet older, FileDescriptorSet newer)
    {
        var before = Elements(older);
        var after = Elements(newer);
        var lines = new List<DiffLine>();
        foreach (var key in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var (was, now) = (before.GetValueOrDefault(key), after.GetValueOrDefault(key));
            if (was is null)
            {
                lines.Add(new DiffLine(DiffKind.Added, key, now!));
            }
            else if (now is null)
            {
                lines.Add(new DiffLine(DiffKind.Removed, key, was));
            }
            else if (was != now)
            {
                lines.Add(new DiffLine(DiffKind.Changed, key, $"{was} → {now}"));
            }
        }

        return lines;
    }

    // Each element of the set's own files (those no other file of the set imports: a version's imports are context)
    // by "kind full.name", with its declaration.
    private static Dictionary<string, string> Elements(FileDescriptorSet set)
    {
        var imported = set.File.SelectMany(f => f.Dependency).ToHashSet(StringComparer.Ordinal);
        var elements = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in set.File.Where(f => !imported.Contains(f.Name)))
        {
            foreach (var message in file.MessageType)
            {
                AddMessage(elements, file.Package, message);
            }

            foreach (var @enum in file.EnumType)
            {
                AddEnum(elements, file.Package, @enum);
            }

            foreach (var service in file.Service)
            {
                var name = $"{file.Package}.{service.Name}";
                elements[$"service {name}"] = file.Name;
                foreach (var method in service.Method)
                {
                    elements[$"method {name}.{method.Name}"] =
                        $"({(method.ClientStreaming ? "stream " : "")}{method.InputType.TrimStart('.')}) returns ({(method.ServerStreaming ? "stream " : "")}{method.OutputType.TrimStart('.')})";
                }
            }
        }

        return elements;
    }

    private static void AddMessage(Dictionary<string, string> elements, string scope, DescriptorProto message)
    {
        var name = $"{scope}.{message.Name}";
        elements[$"message {name}"] = $"{message.Field.Count} field(s)";
        foreach (var field in message.Field)
        {
            var type = field.HasTypeName ? field.TypeName.TrimStart('.') : field.Type.ToString().ToLowerInvariant();
            var oneof = field.HasOneofIndex && !field.Proto3Optional ? $" in oneof {message.OneofDecl[field.OneofIndex].Name}" : "";
            elements[$"field {name}.{field.Name}"] = $"{field.Label.ToString().ToLowerInvariant()} {type} = {field.Number}{oneof}";
        }

        foreach (var nested in message.NestedType.Where(n => n.Options?.MapEntry != true))
        {
            AddMessage(elements, name, nested);
        }

        foreach (var @enum in message.EnumType)
        {
            AddEnum(elements, name, @enum);
        }
    }

    private static void AddEnum(Dictionary<string, string> elements, string scope, EnumDescriptorProto @enum)
    {
        var name = $"{scope}.{@enum.Name}";
        elements[$"enum {name}"] = $"{@enum.Value.Count} value(s)";
        foreach (var value in @enum.Value)
        {
            elements[$"enum value {name}.{value.Name}"] = $"= {value.Number}";
        }
    }
}
