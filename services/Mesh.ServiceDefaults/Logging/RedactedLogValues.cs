using System.Collections;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Mesh.Contracts.Classification;

namespace Mesh.ServiceDefaults.Logging;

/// <summary>
/// Structured log state whose protobuf values are redacted copies, formatted from the original
/// message template (<c>{OriginalFormat}</c>) the way the stock formatter does.
/// </summary>
internal sealed class RedactedLogValues : IReadOnlyList<KeyValuePair<string, object?>>
{
    private const string OriginalFormatKey = "{OriginalFormat}";
    private readonly List<KeyValuePair<string, object?>> values;

    public RedactedLogValues(IReadOnlyList<KeyValuePair<string, object?>> original)
    {
        values = original.Select(kv => new KeyValuePair<string, object?>(kv.Key, RedactValue(kv.Value))).ToList();
    }

    public int Count => values.Count;

    public KeyValuePair<string, object?> this[int index] => values[index];

    public static bool NeedsRedaction(IReadOnlyList<KeyValuePair<string, object?>> values) =>
        values.Any(kv => kv.Value is IMessage || (kv.Value is IEnumerable e and not string && e.OfType<IMessage>().Any()));

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString()
    {
        var template = values.FirstOrDefault(kv => kv.Key == OriginalFormatKey).Value as string;
        if (template is null)
        {
            return string.Join(", ", values.Select(kv => $"{kv.Key}={Format(kv.Value, null)}"));
        }

        var arguments = values.Where(kv => kv.Key != OriginalFormatKey).Select(kv => kv.Value).ToList();
        return FormatTemplate(template, arguments);
    }

    private static object? RedactValue(object? value) => value switch
    {
        IMessage message => Redaction.Redact(message),
        IEnumerable items and not string when items.OfType<IMessage>().Any() =>
            items.Cast<object?>().Select(RedactValue).ToList(),
        _ => value,
    };

    // Placeholders bind to arguments by position, as in Microsoft.Extensions.Logging: "{Name[,align][:format]}",
    // with "{{" and "}}" as literal braces.
    private static string FormatTemplate(string template, IReadOnlyList<object?> arguments)
    {
        var output = new StringBuilder(template.Length + 64);
        var argumentIndex = 0;
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if ((c == '{' || c == '}') && i + 1 < template.Length && template[i + 1] == c)
            {
                output.Append(c);
                i++;
                continue;
            }

            var close = c == '{' ? template.IndexOf('}', i + 1) : -1;
            if (close < 0)
            {
                output.Append(c);
                continue;
            }

            var hole = template.AsSpan(i + 1, close - i - 1);
            var colon = hole.IndexOf(':');
            var format = colon >= 0 ? hole[(colon + 1)..].ToString() : null;
            var argument = argumentIndex < arguments.Count ? arguments[argumentIndex] : null;
            output.Append(argumentIndex < arguments.Count ? Format(argument, format) : template.AsSpan(i, close - i + 1));
            argumentIndex++;
            i = close;
        }

        return output.ToString();
    }

    private static string Format(object? value, string? format) => value switch
    {
        null => "(null)",
        string s => s,
        IFormattable f => f.ToString(format, CultureInfo.InvariantCulture),
        IEnumerable items => string.Join(", ", items.Cast<object?>().Select(item => Format(item, format))),
        _ => value.ToString() ?? "",
    };
}
