using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Mesh.Runtime.Sidecar.PubSub;

/// <summary>
/// Evaluates the subset of CEL that Dapr routing rules use in practice: comparisons of an event
/// attribute (<c>event.type</c>, <c>event.source</c>, <c>event.data.x.y</c>, ...) with a string,
/// number or boolean literal by <c>==</c> or <c>!=</c>, combined with <c>&amp;&amp;</c> and <c>||</c>
/// (&amp;&amp; binds tighter). Anything else is refused when the subscription is read, with the rule named.
/// </summary>
public static partial class RouteMatcher
{
    [GeneratedRegex("""^\s*event((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*(==|!=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|-?[0-9]+(?:\.[0-9]+)?|true|false)\s*$""")]
    private static partial Regex Comparison();

    /// <summary>Throws <see cref="FormatException"/> when the expression is outside the supported subset.</summary>
    public static void Validate(string expression)
    {
        foreach (var term in expression.Split("||").SelectMany(t => t.Split("&&")))
        {
            if (!Comparison().IsMatch(term))
            {
                throw new FormatException($"routing rule '{expression}' is not supported: use event.<attribute> == or != a literal, joined by && and ||");
            }
        }
    }

    /// <summary>True when the envelope satisfies the expression.</summary>
    public static bool Matches(string expression, JsonElement envelope) =>
        expression.Split("||").Any(any => any.Split("&&").All(term => Holds(term, envelope)));

    private static bool Holds(string term, JsonElement envelope)
    {
        var match = Comparison().Match(term);
        if (!match.Success)
        {
            return false;
        }

        JsonElement? node = envelope;
        foreach (var segment in match.Groups[1].Value.Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(segment, out var child) ? child : null;
        }

        var literal = match.Groups[3].Value;
        var equal = node is { } value && literal[0] switch
        {
            '"' or '\'' => value.ValueKind == JsonValueKind.String && value.GetString() == Regex.Unescape(literal[1..^1]),
            't' => value.ValueKind == JsonValueKind.True,
            'f' => value.ValueKind == JsonValueKind.False,
            _ => value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var actual)
                && decimal.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out var expected) && actual == expected,
        };
        return match.Groups[2].Value == "==" ? equal : !equal;
    }
}
