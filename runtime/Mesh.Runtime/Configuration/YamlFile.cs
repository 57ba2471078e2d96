using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Mesh.Runtime.Configuration;

/// <summary>
/// A YAML file read with the representation model, which keeps the line and column of every node, so
/// each error can name file:line:column and the field.
/// </summary>
internal sealed class YamlFile
{
    private YamlFile(string path, IReadOnlyList<YamlDocument> documents)
    {
        Path = path;
        Documents = documents;
    }

    /// <summary>The path as given, used in every message.</summary>
    public string Path { get; }

    /// <summary>The documents, in file order (none for an empty file).</summary>
    public IReadOnlyList<YamlDocument> Documents { get; }

    /// <summary>Reads and parses the file; a missing or unreadable file or bad YAML is a <see cref="ConfigurationException"/>.</summary>
    public static YamlFile Load(string path, string description)
    {
        if (Directory.Exists(path))
        {
            throw new ConfigurationException($"{path}: is a folder, not a {description}");
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ConfigurationException($"{path}: {description} not found");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"{path}: cannot read the {description}: {e.Message}");
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ConfigurationException($"{path}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {e.Message}");
        }

        return new YamlFile(path, [.. stream.Documents]);
    }

    /// <summary>An error located at a node.</summary>
    public ConfigurationException Error(YamlNode node, string message) =>
        new($"{Path}:{node.Start.Line}:{node.Start.Column}: {message}");

    /// <summary>file:line:column of a node, to name an earlier definition in a message.</summary>
    public string Where(YamlNode node) => $"{Path}:{node.Start.Line}:{node.Start.Column}";

    /// <summary>True for a plain empty, <c>~</c> or <c>null</c> scalar: YAML's null, which counts as absent.</summary>
    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: "" or "~" or "null" or "Null" or "NULL" or null };

    /// <summary>How a node looks, for "found ..." in messages.</summary>
    public static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode scalar => $"'{scalar.Value}'",
        YamlSequenceNode => "a list",
        _ => "a mapping",
    };
}

/// <summary>A scalar of a YAML file with its node and field path, e.g. apps[0].command[1].</summary>
internal readonly record struct YamlText(string Value, YamlNode Node, string Path);

/// <summary>
/// A mapping of a YAML file together with the field path that leads to it (e.g. "apps[1]"), with typed
/// accessors whose errors name file:line:column and the field. YAML nulls count as absent fields.
/// </summary>
internal sealed class YamlMap
{
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> entries;

    private YamlMap(YamlFile file, YamlMappingNode node, YamlNode anchor, string path, Dictionary<string, (YamlScalarNode, YamlNode)> entries)
    {
        File = file;
        Node = node;
        Anchor = anchor;
        Path = path;
        this.entries = entries;
    }

    /// <summary>The file the mapping is in.</summary>
    public YamlFile File { get; }

    /// <summary>The mapping node.</summary>
    public YamlMappingNode Node { get; }

    /// <summary>Where "x is required" errors point: the key that introduced the mapping, or the mapping itself.</summary>
    public YamlNode Anchor { get; }

    /// <summary>The field path of the mapping; empty for a document root.</summary>
    public string Path { get; }

    /// <summary>The keys, in file order.</summary>
    public IEnumerable<string> Keys => Node.Children.Keys.Cast<YamlScalarNode>().Select(k => k.Value!);

    /// <summary>The mapping at <paramref name="node"/>; anything else is an error naming <paramref name="path"/>.</summary>
    public static YamlMap Of(YamlFile file, YamlNode node, YamlNode anchor, string path)
    {
        if (node is not YamlMappingNode mapping)
        {
            throw file.Error(node, $"{(path.Length == 0 ? "the document" : path)}: expected a mapping of fields, found {YamlFile.Describe(node)}");
        }

        var entries = new Dictionary<string, (YamlScalarNode, YamlNode)>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Children)
        {
            if (key is not YamlScalarNode { Value: not null } name)
            {
                throw file.Error(key, $"{(path.Length == 0 ? "the document" : path)}: a key must be a name, found {YamlFile.Describe(key)}");
            }

            entries[name.Value] = (name, value);
        }

        return new YamlMap(file, mapping, anchor, path, entries);
    }

    /// <summary>The field path of a key of this mapping.</summary>
    public string FieldPath(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    /// <summary>
    /// Refuses keys that are neither <paramref name="known"/> nor <paramref name="ignored"/>;
    /// <paramref name="explain"/> may say more about a key than "unknown field".
    /// </summary>
    public void Check(IReadOnlyCollection<string> known, IReadOnlyCollection<string>? ignored = null, Func<string, string?>? explain = null)
    {
        foreach (var (name, (key, _)) in entries)
        {
            if (known.Contains(name) || (ignored?.Contains(name) ?? false))
            {
                continue;
            }

            var message = explain?.Invoke(name) ?? "unknown field" + Suggestion(name, known);
            throw File.Error(key, $"{FieldPath(name)}: {message}");
        }
    }

    /// <summary>The value of a key, or null when it is missing or YAML null.</summary>
    public YamlNode? Value(string key) =>
        entries.TryGetValue(key, out var entry) && !YamlFile.IsNull(entry.Value) ? entry.Value : null;

    /// <summary>True when the key has a non-null value.</summary>
    public bool Has(string key) => Value(key) is not null;

    /// <summary>An error at a key's value when it is a scalar, else at the key (a block list or mapping starts on a later line).</summary>
    public ConfigurationException Error(string key, string message) =>
        File.Error(entries[key].Value is YamlScalarNode value ? value : entries[key].Key, $"{FieldPath(key)}: {message}");

    /// <summary>"path.key is required", at the mapping.</summary>
    public ConfigurationException Missing(string key) => File.Error(Anchor, $"{FieldPath(key)} is required");

    /// <summary>A scalar's text, or null when absent; a list or mapping is an error.</summary>
    public string? Text(string key) => Value(key) switch
    {
        null => null,
        YamlScalarNode scalar => scalar.Value ?? "",
        var other => throw Error(key, $"expected a single value, found {YamlFile.Describe(other)}"),
    };

    /// <summary>A scalar's text; absent or empty is "path.key is required".</summary>
    public string RequiredText(string key) => Text(key) is { Length: > 0 } text ? text : throw Missing(key);

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>], or null when absent.</summary>
    public int? Integer(string key, int min = int.MinValue, int max = int.MaxValue, string? expected = null)
    {
        if (Text(key) is not { } text)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw Error(key, $"'{text}' is not {expected ?? (min == int.MinValue ? "a whole number" : $"a whole number from {min} to {max}")}");
    }

    /// <summary>A boolean (true/false, also yes/no/on/off as YAML 1.1 allows), or null when absent.</summary>
    public bool? Boolean(string key) => Text(key)?.ToLowerInvariant() switch
    {
        null => null,
        "true" or "yes" or "on" => true,
        "false" or "no" or "off" => false,
        _ => throw Error(key, $"'{Text(key)}' is not true or false"),
    };

    /// <summary>A duration (<see cref="DaprDuration"/>), or null when absent.</summary>
    public TimeSpan? Duration(string key)
    {
        if (Text(key) is not { } text)
        {
            return null;
        }

        if (!DaprDuration.TryParse(text, out var duration))
        {
            throw Error(key, $"'{text}' is not a duration (e.g. 500ms, 1.5s, 2m, 1h30m; a bare number is milliseconds)");
        }

        return duration >= TimeSpan.Zero ? duration : throw Error(key, $"'{text}' is negative");
    }

    /// <summary>A nested mapping, or null when absent.</summary>
    public YamlMap? Map(string key) =>
        Value(key) is { } value ? Of(File, value, entries[key].Key, FieldPath(key)) : null;

    /// <summary>The items of a list with their field paths (key[0], key[1], ...), or null when absent.</summary>
    public IReadOnlyList<(YamlNode Node, string Path)>? Items(string key) => Value(key) switch
    {
        null => null,
        YamlSequenceNode sequence => sequence.Children.Select((item, i) => (item, $"{FieldPath(key)}[{i}]")).ToList(),
        var other => throw Error(key, $"expected a list, found {YamlFile.Describe(other)}"),
    };

    /// <summary>A list of scalars, or an empty list when absent.</summary>
    public IReadOnlyList<YamlText> TextList(string key, string example) =>
        Items(key)?.Select(item => item.Node is YamlScalarNode { Value: { } value } && !YamlFile.IsNull(item.Node)
            ? new YamlText(value, item.Node, item.Path)
            : throw File.Error(item.Node, $"{item.Path}: expected a single value, found {YamlFile.Describe(item.Node)}; write e.g. {example}")).ToList()
        ?? [];

    /// <summary>A mapping of names to scalars (any scalar becomes its text; null becomes ""), or an empty map when absent.</summary>
    public IReadOnlyList<(string Name, string Value)> TextMap(string key)
    {
        if (Map(key) is not { } map)
        {
            return [];
        }

        return map.Keys.Select(name => (name, map.Value(name) switch
        {
            null => "",
            YamlScalarNode scalar => scalar.Value ?? "",
            var other => throw map.Error(name, $"expected a single value, found {YamlFile.Describe(other)}"),
        })).ToList();
    }

    /// <summary>" (did you mean x?)" naming the known name nearest to a misspelt one, or "" when none is near.</summary>
    internal static string Suggestion(string name, IReadOnlyCollection<string> known)
    {
        var match = known.FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase))
            ?? known.Where(k => Distance(k, name) <= 2).MinBy(k => Distance(k, name));
        return match is null ? "" : $" (did you mean {match}?)";
    }

    // Levenshtein distance, to suggest the field a typo meant.
    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
