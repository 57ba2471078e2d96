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
    private const int MaxDepth = 8;
    private const int MaxItems = 1000;
    private readonly List<KeyValuePair<string, object?>> values;

    public RedactedLogValues(IEnumerable<KeyValuePair<string, object?>> original)
    {
        values = original.Select(kv => new KeyValuePair<string, object?>(kv.Key, RedactValue(kv.Value))).ToList();
    }

    public int Count => values.Count;

    public KeyValuePair<string, object?> this[int index] => values[index];

    public static bool NeedsRedaction(IEnumerable<KeyValuePair<string, object?>> values)
    {
        if (values is not IReadOnlyList<KeyValuePair<string, object?>> list)
        {
            return values.Any(kv => HoldsMessage(kv.Value, depth: 0));
        }

        // Log states and most scopes are lists: read by index, without an enumerator.
        for (var i = 0; i < list.Count; i++)
        {
            if (HoldsMessage(list[i].Value, depth: 0))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when a value is, or holds at any depth (lists, dictionaries), a protobuf message.</summary>
    public static bool HoldsMessage(object? value, int depth) => value switch
    {
        IMessage => true,
        string or null => false,
        _ when depth > MaxDepth => false,
        IDictionary dictionary => dictionary.Values.Cast<object?>().Any(v => HoldsMessage(v, depth + 1)),
        IEnumerable items => items.Cast<object?>().Take(MaxItems).Any(v => HoldsMessage(v, depth + 1)),
        _ => IsKeyValuePair(value, out _, out var inner) && HoldsMessage(inner, depth + 1),
    };

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

    /// <summary>A copy of the value with every protobuf message in it redacted.</summary>
    public static object? RedactValue(object? value) => RedactValue(value, depth: 0);

    private static object? RedactValue(object? value, int depth) => value switch
    {
        IMessage message => Redaction.Redact(message),
        string or null => value,
        _ when !HoldsMessage(value, depth) => value,
        IDictionary dictionary => dictionary.Keys.Cast<object>().ToDictionary(k => k, k => RedactValue(dictionary[k], depth + 1)),
        IEnumerable items => items.Cast<object?>().Select(v => RedactValue(v, depth + 1)).ToList(),
        _ => IsKeyValuePair(value, out var key, out var inner) ? new KeyValuePair<object?, object?>(key, RedactValue(inner, depth + 1)) : value,
    };

    private static bool IsKeyValuePair(object value, out object? key, out object? inner)
    {
        var type = value.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(KeyValuePair<,>))
        {
            key = type.GetProperty("Key")!.GetValue(value);
            inner = type.GetProperty("Value")!.GetValue(value);
            return true;
        }

        key = inner = null;
        return false;
    }

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
