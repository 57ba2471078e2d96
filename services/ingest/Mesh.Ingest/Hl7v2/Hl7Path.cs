using System.Globalization;
using System.Text.RegularExpressions;

namespace Mesh.Ingest.Hl7v2;

/// <summary>
/// The address of a value in a message, as HL7's own documentation writes it: <c>PID-3</c>, <c>FT1-7.1</c>,
/// <c>PID-3[2].4.1</c> (second repetition, component 4, subcomponent 1), or <c>PID-3[5=MR].1</c> (the repetition
/// whose component 5 is "MR"). Without a component the whole repetition is read.
/// </summary>
public sealed partial record Hl7Path(string Segment, int Field, int? Repetition, Hl7Path.Selector? Where, int? Component, int? Subcomponent)
{
    /// <summary>Picks the repetition whose <paramref name="Component"/> equals <paramref name="Value"/>.</summary>
    public sealed record Selector(int Component, string Value);

    [GeneratedRegex(@"\A(?<seg>[A-Z][A-Z0-9]{2})-(?<field>[1-9][0-9]{0,2})(\[(?:(?<rep>[1-9][0-9]{0,2})|(?<wc>[1-9][0-9]?)=(?<wv>[^\]]+))\])?(\.(?<comp>[1-9][0-9]?)(\.(?<sub>[1-9][0-9]?))?)?\z")]
    private static partial Regex Pattern();

    /// <summary>The path <paramref name="text"/> describes; FormatException naming the expected form when it is not one.</summary>
    public static Hl7Path Parse(string text) =>
        TryParse(text) ?? throw new FormatException($"'{text}' is not an HL7 path; expected SEG-field[repetition or component=value].component.subcomponent, e.g. PID-3[5=MR].1");

    /// <summary>The path, or null when <paramref name="text"/> is not one.</summary>
    public static Hl7Path? TryParse(string text)
    {
        var match = Pattern().Match(text);
        if (!match.Success)
        {
            return null;
        }

        static int? Number(Group g) => g.Success ? int.Parse(g.Value, CultureInfo.InvariantCulture) : null;
        var where = match.Groups["wc"].Success ? new Selector(Number(match.Groups["wc"])!.Value, match.Groups["wv"].Value) : null;
        return new Hl7Path(match.Groups["seg"].Value, Number(match.Groups["field"])!.Value, Number(match.Groups["rep"]), where, Number(match.Groups["comp"]), Number(match.Groups["sub"]));
    }

    /// <summary>The field's address without repetition or components, as ERR-2 reports it: "FT1-7".</summary>
    public string FieldName => $"{Segment}-{Field}";

    /// <inheritdoc />
    public override string ToString() =>
        $"{Segment}-{Field}{(Where is { } w ? $"[{w.Component}={w.Value}]" : Repetition is { } r ? $"[{r}]" : "")}{(Component is { } c ? $".{c}" : "")}{(Subcomponent is { } s ? $".{s}" : "")}";
}
