// Mesh's own HL7 v2 parser. No HL7 v2 parser is on the package registry this project can use, so this small one
// is written here and tested in tests/Mesh.Ingest.Tests/Hl7v2 (public samples and edge cases). It covers what
// the ingest adapters need: any delimiters declared in MSH-1/MSH-2, escapes, repetitions, components and
// subcomponents, CR, LF or CRLF segment endings, a UTF-8 byte order mark, and the MSH-18 character sets UTF-8,
// ASCII and ISO 8859-1. It reads values by path; it does not validate message structures against HL7's tables.
using System.Text;

namespace Mesh.Ingest.Hl7v2;

/// <summary>Why a message could not be parsed: the rule it breaks and where, never a value from it.</summary>
/// <param name="Reason">The rule broken, naming the segment or field.</param>
/// <param name="Location">The segment or field, e.g. "MSH-2" or "segment 3"; empty for the whole message.</param>
public sealed record Hl7ParseError(string Reason, string Location);

/// <summary>Parses HL7 v2 messages in the pipe-and-hat (ER7) encoding.</summary>
public static class Hl7Parser
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The message in <paramref name="content"/> (one MLLP frame's payload), or why it is not one.</summary>
    public static (Hl7Message? Message, Hl7ParseError? Error) Parse(ReadOnlySpan<byte> content)
    {
        if (content.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            content = content[3..];
        }

        // Checked before decoding, so binary garbage is refused as what it is rather than as bad UTF-8.
        if (!content.StartsWith("MSH"u8))
        {
            return (null, new Hl7ParseError(content.Length == 0 ? "the message is empty" : "the message does not start with an MSH segment", content.Length == 0 ? "" : "segment 1"));
        }

        var (text, error) = Decode(content);
        return error is not null ? (null, error) : Parse(text!);
    }

    /// <summary>The message in <paramref name="text"/>, or why it is not one.</summary>
    public static (Hl7Message? Message, Hl7ParseError? Error) Parse(string text)
    {
        if (text.StartsWith('\uFEFF'))
        {
            text = text[1..];
        }

        var lines = text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0 || lines.All(string.IsNullOrWhiteSpace))
        {
            return (null, new Hl7ParseError("the message is empty", ""));
        }

        var header = lines[0];
        if (!header.StartsWith("MSH", StringComparison.Ordinal))
        {
            return (null, new Hl7ParseError("the message does not start with an MSH segment", "segment 1"));
        }

        if (header.Length < 8)
        {
            return (null, new Hl7ParseError("MSH is too short to declare the field separator (MSH-1) and the encoding characters (MSH-2)", "MSH-2"));
        }

        var separator = header[3];
        var encodingEnd = header.IndexOf(separator, 4);
        var (encoding, problem) = Hl7Encoding.Declared(separator, encodingEnd < 0 ? header[4..] : header[4..encodingEnd]);
        if (encoding is null)
        {
            return (null, new Hl7ParseError(problem!, problem!.StartsWith("MSH-1", StringComparison.Ordinal) ? "MSH-1" : "MSH-2"));
        }

        var segments = new List<Hl7Segment>(lines.Length);
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var ordinal = segments.Count + 1;
            if (line.Length < 3 || !IsSegmentId(line.AsSpan(0, 3)) || (line.Length > 3 && line[3] != separator))
            {
                return (null, new Hl7ParseError($"segment {ordinal} does not start with a segment id (three capital letters or digits) followed by the field separator MSH-1 declares", $"segment {ordinal}"));
            }

            if (line.IndexOfAny(['\0', '\u001B', '\u000B', '\u001C']) is var control and >= 0)
            {
                return (null, new Hl7ParseError($"segment {ordinal} ({line[..3]}) holds a control character at column {control + 1}; binary data must be escaped (\\X..\\) or base64 encoded", $"{line[..3]}"));
            }

            var id = line[..3];
            if (id == "MSH" && ordinal > 1)
            {
                return (null, new Hl7ParseError($"segment {ordinal} is a second MSH: send one message per frame", $"segment {ordinal}"));
            }

            segments.Add(new Hl7Segment(id, Fields(line, separator, id == "MSH"), ordinal));
        }

        return (new Hl7Message(encoding, segments, text), null);
    }

    private static bool IsSegmentId(ReadOnlySpan<char> id) =>
        char.IsAsciiLetterUpper(id[0]) && (char.IsAsciiLetterUpper(id[1]) || char.IsAsciiDigit(id[1])) && (char.IsAsciiLetterUpper(id[2]) || char.IsAsciiDigit(id[2]));

    // MSH's first field is the separator itself, so its fields are numbered one further than a plain split.
    private static string[] Fields(string line, char separator, bool header)
    {
        var parts = line.Split(separator);
        return header ? ["MSH", separator.ToString(), .. parts[1..]] : parts;
    }

    // UTF-8 unless MSH-18 names another character set; MSH itself is ASCII, so it can be read before decoding.
    private static (string? Text, Hl7ParseError? Error) Decode(ReadOnlySpan<byte> content)
    {
        var charset = DeclaredCharacterSet(content);
        if (charset.StartsWith("8859/1", StringComparison.Ordinal))
        {
            return (Encoding.Latin1.GetString(content), null);
        }

        try
        {
            return (StrictUtf8.GetString(content), null);
        }
        catch (DecoderFallbackException e)
        {
            var offset = e.Index >= 0 ? $" at byte {e.Index}" : "";
            return (null, new Hl7ParseError($"the message is not valid UTF-8{offset}, and MSH-18 declares no other character set (8859/1 is supported)", "MSH-18"));
        }
    }

    private static string DeclaredCharacterSet(ReadOnlySpan<byte> content)
    {
        var end = content.IndexOfAny((byte)'\r', (byte)'\n');
        var header = Encoding.Latin1.GetString(end < 0 ? content : content[..end]);
        if (header.Length < 8 || !header.StartsWith("MSH", StringComparison.Ordinal))
        {
            return "";
        }

        var fields = header.Split(header[3]);
        // fields[0] is "MSH", fields[1] MSH-2, so MSH-18 is fields[17].
        return fields.Length > 17 ? fields[17].Trim() : "";
    }
}
