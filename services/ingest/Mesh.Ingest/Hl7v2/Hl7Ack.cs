using System.Globalization;

namespace Mesh.Ingest.Hl7v2;

/// <summary>The acknowledgment codes of original mode (MSA-1).</summary>
public enum AckCode
{
    /// <summary>AA: accepted and processed.</summary>
    Accept,

    /// <summary>AE: accepted, but the application found an error; resending it unchanged will not help.</summary>
    Error,

    /// <summary>AR: rejected; nothing was kept of it, and it may be resent.</summary>
    Reject,
}

/// <summary>Why a message was not accepted as it is, for MSA-3 and ERR.</summary>
/// <param name="Code">HL7 table 0357: 101 required field missing, 102 data type error, 103 table value not found, 200 unsupported message type, 207 application internal error, ...</param>
/// <param name="Text">What is wrong, naming the field and the rule, never a value.</param>
/// <param name="Location">The segment and field, e.g. "FT1-7", or "" for the whole message.</param>
public sealed record AckError(int Code, string Text, string Location);

/// <summary>Builds original-mode acknowledgments (ACK with MSH, MSA and ERR) in the delimiters of the message they answer.</summary>
public static class Hl7Ack
{
    /// <summary>
    /// The ACK of <paramref name="message"/> (null when it could not be parsed): sender and receiver swapped,
    /// MSA-2 echoing MSH-10, the reason in MSA-3 and in ERR (location in ERR-2, code in ERR-3, text in ERR-8).
    /// </summary>
    public static string Build(Hl7Message? message, AckCode code, AckError? error, string controlId, DateTimeOffset now)
    {
        var e = message?.Encoding ?? Hl7Encoding.Default;
        string Get(string path) => message is null ? "" : e.EscapeText(message.Value(message.Header, Hl7Path.Parse(path)) ?? "");
        var trigger = Get("MSH-9.2");
        var f = e.Field;
        var c = e.Component;
        var lines = new List<string>
        {
            string.Join(f, "MSH", e.EncodingCharacters, Get("MSH-5"), Get("MSH-6"), Get("MSH-3"), Get("MSH-4"),
                now.ToString("yyyyMMddHHmmss.fffzzz", CultureInfo.InvariantCulture).Replace(":", "", StringComparison.Ordinal), "",
                $"ACK{c}{trigger}{c}ACK", e.EscapeText(controlId), Get("MSH-11") is { Length: > 0 } processing ? processing : "P",
                Get("MSH-12") is { Length: > 0 } version ? version : "2.5.1"),
            string.Join(f, "MSA", code switch { AckCode.Accept => "AA", AckCode.Error => "AE", _ => "AR" }, Get("MSH-10"), e.EscapeText(error?.Text ?? "")),
        };
        if (error is not null)
        {
            lines.Add(string.Join(f, "ERR", "", Location(error.Location, e), $"{error.Code}{c}{e.EscapeText(CodeText(error.Code))}{c}HL70357",
                code == AckCode.Accept ? "W" : "E", "", "", "", e.EscapeText(error.Text)));
        }

        return string.Join('\r', lines) + "\r";
    }

    // ERR-2 (ERL): segment id ^ sequence ^ field position; "FT1-7" → FT1^1^7.
    private static string Location(string location, Hl7Encoding e)
    {
        var dash = location.IndexOf('-', StringComparison.Ordinal);
        if (location.Length < 3 || dash != 3)
        {
            return "";
        }

        var field = new string([.. location[4..].TakeWhile(char.IsAsciiDigit)]);
        return $"{location[..3]}{e.Component}1{e.Component}{field}";
    }

    private static string CodeText(int code) => code switch
    {
        100 => "Segment sequence error",
        101 => "Required field missing",
        102 => "Data type error",
        103 => "Table value not found",
        200 => "Unsupported message type",
        201 => "Unsupported event code",
        203 => "Unsupported version id",
        204 => "Unknown key identifier",
        206 => "Application record locked",
        _ => "Application internal error",
    };
}
