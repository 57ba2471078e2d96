using System.Text;

namespace Mesh.Ingest.Hl7v2;

/// <summary>
/// The delimiters a message declares in MSH-1 and MSH-2, and HL7's escape sequences over them (\F\ \S\ \T\ \R\ \E\,
/// \Xhh\ hex data, \.br\ line breaks; highlighting and character set escapes are dropped).
/// </summary>
public sealed record Hl7Encoding(char Field, char Component, char Repetition, char Escape, char Subcomponent, char? Truncation = null)
{
    /// <summary>The delimiters almost every system uses: <c>|^~\&amp;</c>.</summary>
    public static Hl7Encoding Default { get; } = new('|', '^', '~', '\\', '&');

    /// <summary>MSH-2 as this encoding writes it.</summary>
    public string EncodingCharacters => $"{Component}{Repetition}{Escape}{Subcomponent}{Truncation}";

    /// <summary>
    /// The encoding declared by MSH-1 (<paramref name="field"/>) and MSH-2 (<paramref name="characters"/>), or the rule
    /// it breaks: four (five from v2.7, with the truncation character) distinct characters that are neither letters,
    /// digits, whitespace nor the field separator.
    /// </summary>
    public static (Hl7Encoding? Encoding, string? Problem) Declared(char field, string characters)
    {
        static bool Usable(char c) => !char.IsLetterOrDigit(c) && !char.IsWhiteSpace(c) && !char.IsControl(c);
        if (!Usable(field))
        {
            return (null, "MSH-1: the field separator must be a printable character that is not a letter, digit or space");
        }

        if (characters.Length is < 4 or > 5 || !characters.All(Usable) || characters.Contains(field) || characters.Distinct().Count() != characters.Length)
        {
            return (null, "MSH-2: the encoding characters must be 4 (or 5 with truncation) distinct printable characters, none a letter, digit, space or the field separator");
        }

        return (new Hl7Encoding(field, characters[0], characters[1], characters[2], characters[3], characters.Length == 5 ? characters[4] : null), null);
    }

    /// <summary>The text of an escaped value.</summary>
    public string Unescape(string value)
    {
        if (value.IndexOf(Escape) < 0)
        {
            return value;
        }

        var text = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var end = value[i] == Escape ? value.IndexOf(Escape, i + 1) : -1;
            if (end < 0)
            {
                // A lone escape character is kept as it is: senders that do not escape are common.
                text.Append(value[i]);
                continue;
            }

            text.Append(Sequence(value[(i + 1)..end]));
            i = end;
        }

        return text.ToString();
    }

    /// <summary>A value with every delimiter escaped, for writing into a field.</summary>
    public string EscapeText(string value)
    {
        var text = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            text.Append(c == Escape ? $"{Escape}E{Escape}"
                : c == Field ? $"{Escape}F{Escape}"
                : c == Component ? $"{Escape}S{Escape}"
                : c == Subcomponent ? $"{Escape}T{Escape}"
                : c == Repetition ? $"{Escape}R{Escape}"
                : c is '\r' or '\n' ? $"{Escape}.br{Escape}"
                : c.ToString());
        }

        return text.ToString();
    }

    private string Sequence(string code) => code switch
    {
        "F" => Field.ToString(),
        "S" => Component.ToString(),
        "T" => Subcomponent.ToString(),
        "R" => Repetition.ToString(),
        "E" => Escape.ToString(),
        "P" when Truncation is { } truncation => truncation.ToString(),
        ".br" => "\n",
        ['X', .. var hex] when hex.Length % 2 == 0 && hex.All(char.IsAsciiHexDigit) => Encoding.Latin1.GetString(Convert.FromHexString(hex)),
        // Highlighting (\H\, \N\), character set switches (\Cxxyy\, \Mxxyyzz\), formatting (\.sp\ ...) and
        // locally defined escapes (\Z..\) carry no text.
        _ => "",
    };
}
