using System.Globalization;
using Hl7.FhirPath;
using Mesh.Ingest.Hl7v2;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Mesh.Ingest.Mapping;

/// <summary>
/// Reads mapping files (YAML, one per message type and version). Every key is checked: an unknown key, a missing
/// one, a malformed source expression or an unknown lookup is refused with file:line:column, never ignored.
/// </summary>
public static class MappingLoader
{
    /// <summary>The lookups a field may ask for.</summary>
    public static readonly IReadOnlySet<string> Lookups = new HashSet<string>(StringComparer.Ordinal) { "item", "location", "cost-center", "supplier" };

    /// <summary>The conversions a field may ask for.</summary>
    public static readonly IReadOnlySet<string> Conversions = new HashSet<string>(StringComparer.Ordinal) { "hl7-timestamp", "fhir-datetime", "quantity", "money", "bool", "int64", "enum" };

    /// <summary>The formats a mapping may read.</summary>
    public static readonly IReadOnlySet<string> Formats = new HashSet<string>(StringComparer.Ordinal) { "hl7v2", "fhir", "csv" };

    private static readonly string[] TopKeys = ["mapping", "version", "description", "source", "produces", "fields"];
    private static readonly string[] SourceKeys = ["format", "messageTypes", "versions", "each", "encounter", "department"];
    private static readonly string[] ProducesKeys = ["subject", "subjectVersion", "message"];
    private static readonly string[] FieldKeys = ["type", "from", "value", "lookup", "convert", "unit", "currency", "codeSystem", "required", "encounter", "values"];
    private static readonly FhirPathCompiler FhirPath = new();

    /// <summary>Every mapping under <paramref name="folder"/> (*.yaml, routes files excepted), by key; refuses two with one key.</summary>
    public static IReadOnlyDictionary<string, MappingDefinition> LoadFolder(string folder, string routesFile)
    {
        var mappings = new Dictionary<string, MappingDefinition>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder, "*.yaml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (Path.GetFullPath(file) == Path.GetFullPath(routesFile) || Path.GetFileName(file) == "routes.yaml")
            {
                continue;
            }

            var mapping = LoadFile(file);
            if (!mappings.TryAdd(mapping.Key, mapping))
            {
                throw new MappingFileException(file, 1, 1, $"mapping {mapping.Key} is also defined in {mappings[mapping.Key].File}");
            }
        }

        return mappings;
    }

    /// <summary>The mapping in <paramref name="file"/>.</summary>
    public static MappingDefinition LoadFile(string file) => Parse(File.ReadAllText(file), file);

    /// <summary>The mapping in <paramref name="yaml"/>, with <paramref name="file"/> named in errors.</summary>
    public static MappingDefinition Parse(string yaml, string file)
    {
        var root = Root(yaml, file);
        Keys(root, TopKeys, file);
        var source = Map(root, "source", file);
        Keys(source, SourceKeys, file);
        var produces = Map(root, "produces", file);
        Keys(produces, ProducesKeys, file);
        var format = Text(source, "format", file)!;
        if (!Formats.Contains(format))
        {
            throw Error(file, source.Children[new YamlScalarNode("format")], $"source.format '{format}' is not one of {string.Join(", ", Formats)}");
        }

        var each = Text(source, "each", file, required: false);
        if (each is not null && format != "hl7v2")
        {
            throw Error(file, source.Children[new YamlScalarNode("each")], "source.each applies to hl7v2 mappings only (the segment that yields one canonical message each)");
        }

        var fields = new List<MappingField>();
        foreach (var (key, value) in Map(root, "fields", file).Children)
        {
            fields.Add(Field(key, value, format, file));
        }

        var message = Text(produces, "message", file)!;
        return new MappingDefinition(
            Text(root, "mapping", file)!,
            Number(root, "version", file),
            file,
            format,
            Texts(source, "messageTypes", file),
            source.Children.ContainsKey(new YamlScalarNode("versions")) ? Texts(source, "versions", file) : [],
            each,
            Expression(source, "encounter", format, file),
            Expression(source, "department", format, file),
            Text(produces, "subject", file)!,
            Number(produces, "subjectVersion", file),
            message,
            (int)produces.Children[new YamlScalarNode("message")].Start.Line,
            fields);
    }

    private static MappingField Field(YamlNode key, YamlNode node, string format, string file)
    {
        var target = ((YamlScalarNode)key).Value ?? "";
        if (node is not YamlMappingNode spec)
        {
            throw Error(file, node, $"fields.{target} must be a mapping such as {{ type: string, from: FT1-7.1 }}");
        }

        Keys(spec, FieldKeys, file);
        var from = spec.Children.TryGetValue(new YamlScalarNode("from"), out var fromNode)
            ? fromNode is YamlSequenceNode list ? list.Children.Select(c => ((YamlScalarNode)c).Value ?? "").ToList() : [((YamlScalarNode)fromNode).Value ?? ""]
            : [];
        foreach (var expression in from)
        {
            CheckExpression(expression, format, file, fromNode!);
        }

        var lookup = Text(spec, "lookup", file, required: false);
        if (lookup is not null && !Lookups.Contains(lookup))
        {
            throw Error(file, spec.Children[new YamlScalarNode("lookup")], $"fields.{target}.lookup '{lookup}' is not one of {string.Join(", ", Lookups)}");
        }

        var convert = Text(spec, "convert", file, required: false);
        if (convert is not null && !Conversions.Contains(convert))
        {
            throw Error(file, spec.Children[new YamlScalarNode("convert")], $"fields.{target}.convert '{convert}' is not one of {string.Join(", ", Conversions)}");
        }

        var value = Text(spec, "value", file, required: false);
        if (from.Count == 0 && value is null)
        {
            throw Error(file, key, $"fields.{target} needs 'from' (where the value is read) or 'value' (a constant)");
        }

        var required = Text(spec, "required", file, required: false);
        if (required is not null and not ("true" or "false"))
        {
            throw Error(file, spec.Children[new YamlScalarNode("required")], $"fields.{target}.required must be true or false");
        }

        var codeSystem = Text(spec, "codeSystem", file, required: false);
        if (codeSystem is not null)
        {
            CheckExpression(codeSystem, format, file, spec.Children[new YamlScalarNode("codeSystem")]);
        }

        Dictionary<string, string>? values = null;
        if (spec.Children.TryGetValue(new YamlScalarNode("values"), out var table))
        {
            values = table is YamlMappingNode pairs && pairs.Children.All(p => p.Key is YamlScalarNode && p.Value is YamlScalarNode)
                ? pairs.Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value ?? "", p => ((YamlScalarNode)p.Value).Value ?? "", StringComparer.Ordinal)
                : throw Error(file, table, $"fields.{target}.values must map source values to canonical values, e.g. {{ A03: FINISHED }}");
        }

        return new MappingField(
            target, Text(spec, "type", file)!, from, value, lookup, convert, Text(spec, "unit", file, required: false), Text(spec, "currency", file, required: false),
            codeSystem, required == "true", Text(spec, "encounter", file, required: false), values, (int)key.Start.Line);
    }

    private static void CheckExpression(string expression, string format, string file, YamlNode at)
    {
        switch (format)
        {
            case "hl7v2" when Hl7Path.TryParse(expression) is null:
                throw Error(file, at, $"'{expression}' is not an HL7 path; expected SEG-field[repetition or component=value].component.subcomponent, e.g. PID-3[5=MR].1");
            case "fhir":
                try
                {
                    FhirPath.Compile(expression);
                }
                catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
                {
                    throw Error(file, at, $"'{expression}' is not a FHIRPath expression: {e.Message}");
                }

                break;
            case "csv" when string.IsNullOrWhiteSpace(expression):
                throw Error(file, at, "a CSV source must name a column");
        }
    }

    private static string? Expression(YamlMappingNode node, string key, string format, string file)
    {
        var value = Text(node, key, file, required: false);
        if (value is not null)
        {
            CheckExpression(value, format, file, node.Children[new YamlScalarNode(key)]);
        }

        return value;
    }

    /// <summary>The root mapping node of a YAML document, or a file:line error.</summary>
    internal static YamlMappingNode Root(string yaml, string file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new MappingFileException(file, (int)e.Start.Line, (int)e.Start.Column, e.Message);
        }

        return stream.Documents.Count == 1 && stream.Documents[0].RootNode is YamlMappingNode root
            ? root
            : throw new MappingFileException(file, 1, 1, "expected one YAML document holding a mapping");
    }

    /// <summary>Refuses keys of <paramref name="node"/> outside <paramref name="allowed"/>.</summary>
    internal static void Keys(YamlMappingNode node, IReadOnlyCollection<string> allowed, string file)
    {
        foreach (var key in node.Children.Keys)
        {
            if (key is not YamlScalarNode { Value: { } name } || !allowed.Contains(name))
            {
                throw Error(file, key, $"'{key}' is not a setting here; expected one of {string.Join(", ", allowed)}");
            }
        }
    }

    internal static YamlMappingNode Map(YamlMappingNode node, string key, string file) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value)
            ? value as YamlMappingNode ?? throw Error(file, value, $"'{key}' must be a mapping")
            : throw Error(file, node, $"'{key}' is required");

    internal static string? Text(YamlMappingNode node, string key, string file, bool required = true)
    {
        if (!node.Children.TryGetValue(new YamlScalarNode(key), out var value))
        {
            return required ? throw Error(file, node, $"'{key}' is required") : null;
        }

        return value is YamlScalarNode { Value: { Length: > 0 } text } ? text : throw Error(file, value, $"'{key}' must be a non-empty text");
    }

    internal static List<string> Texts(YamlMappingNode node, string key, string file)
    {
        if (!node.Children.TryGetValue(new YamlScalarNode(key), out var value))
        {
            throw Error(file, node, $"'{key}' is required");
        }

        return value switch
        {
            YamlSequenceNode list when list.Children.All(c => c is YamlScalarNode { Value.Length: > 0 }) => [.. list.Children.Select(c => ((YamlScalarNode)c).Value!)],
            YamlScalarNode { Value: { Length: > 0 } one } => [one],
            _ => throw Error(file, value, $"'{key}' must be a text or a list of texts"),
        };
    }

    private static int Number(YamlMappingNode node, string key, string file)
    {
        var text = Text(node, key, file)!;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw Error(file, node.Children[new YamlScalarNode(key)], $"'{key}' must be a positive whole number");
    }

    internal static MappingFileException Error(string file, YamlNode at, string message) => new(file, (int)at.Start.Line, (int)at.Start.Column, message);
}
