using System.Globalization;
using Mesh.Runtime.Configuration;

namespace Mesh.Runtime.Components;

/// <summary>
/// Reads a component's spec.metadata as Dapr does: names are case-insensitive, an empty value counts as
/// unset (component files often carry <c>redisPassword: ""</c>), and every problem becomes a
/// <see cref="ComponentException"/> naming the file, the component and the field.
/// </summary>
internal sealed class ComponentMetadata(ComponentDefinition definition)
{
    /// <summary>The trimmed value, or null when absent or empty.</summary>
    public string? Optional(string name)
    {
        // A linear scan keeps names case-insensitive whatever comparer the caller's dictionary uses.
        foreach (var (key, value) in definition.Metadata)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(value))
            {
                return value.Trim();
            }
        }

        return null;
    }

    /// <summary>The value; a <see cref="ComponentException"/> when absent.</summary>
    public string Required(string name) => Optional(name) ?? throw Invalid(name, $"is required for {definition.Type}");

    /// <summary>A boolean in Go's <c>strconv.ParseBool</c> spellings (true/false, t/f, 1/0).</summary>
    public bool Bool(string name, bool fallback) => Optional(name)?.ToLowerInvariant() switch
    {
        null => fallback,
        "true" or "t" or "1" => true,
        "false" or "f" or "0" => false,
        var other => throw Invalid(name, $"must be true or false, not '{other}'"),
    };

    /// <summary>An integer of at least <paramref name="minimum"/>.</summary>
    public long Integer(string name, long fallback, long minimum = long.MinValue)
    {
        var text = Optional(name);
        if (text is null)
        {
            return fallback;
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw Invalid(name, $"must be an integer, not '{text}'");
        }

        return value >= minimum ? value : throw Invalid(name, $"must be at least {minimum}, not '{text}'");
    }

    /// <summary>An integer, or null when absent.</summary>
    public long? OptionalInteger(string name) => Optional(name) is null ? null : Integer(name, 0);

    /// <summary>A duration in Go syntax or bare milliseconds (see <see cref="DaprDuration"/>); never negative.</summary>
    public TimeSpan Duration(string name, TimeSpan fallback)
    {
        var text = Optional(name);
        if (text is null)
        {
            return fallback;
        }

        if (!DaprDuration.TryParse(text, out var value))
        {
            throw Invalid(name, $"must be a duration such as 500ms, 15s or 1m (a bare number is milliseconds), not '{text}'");
        }

        return value >= TimeSpan.Zero ? value : throw Invalid(name, $"must not be negative, not '{text}'");
    }

    /// <summary>
    /// An error about one field, at the item's file:line:column when known, else at the file, e.g.
    /// "components/x.yaml:12:13: component 'cache': spec.metadata.redisType cluster (Redis Cluster) is not supported by Mesh".
    /// </summary>
    public ComponentException Invalid(string name, string problem)
    {
        var where = definition.MetadataLocations.FirstOrDefault(l => string.Equals(l.Key, name, StringComparison.OrdinalIgnoreCase)).Value ?? definition.SourceFile;
        return new($"{where}: component '{definition.Name}': spec.metadata.{name} {Redacted(name, problem)}");
    }

    // A value read through a secretKeyRef is checked like one written in the file, but never shown: the message names
    // the secret instead.
    private string Redacted(string name, string problem) =>
        definition.SecretRefs.TryGetValue(name, out var reference) && Optional(name) is { } secret
            ? problem.Replace($"'{secret}'", $"the value of secret '{reference.Name}'", StringComparison.Ordinal)
            : problem;
}
