namespace Mesh.Ingest.Hl7v2;

/// <summary>A segment: its id and raw (still escaped) fields, numbered as HL7 numbers them.</summary>
public sealed class Hl7Segment
{
    private readonly string[] fields;

    internal Hl7Segment(string id, string[] fields, int ordinal)
    {
        Id = id;
        this.fields = fields;
        Ordinal = ordinal;
    }

    /// <summary>The segment id, e.g. "PID".</summary>
    public string Id { get; }

    /// <summary>Where the segment is in its message, 1 for MSH.</summary>
    public int Ordinal { get; }

    /// <summary>The highest field number present.</summary>
    public int FieldCount => fields.Length - 1;

    /// <summary>Field <paramref name="number"/> as sent (escaped), "" when absent. MSH-1 is the field separator.</summary>
    public string Raw(int number) => number > 0 && number < fields.Length ? fields[number] : "";
}

/// <summary>
/// A parsed HL7 v2 message: its encoding and segments. Values are read with <see cref="Hl7Path"/>s, which split
/// repetitions, components and subcomponents on demand and unescape the leaf.
/// </summary>
public sealed class Hl7Message
{
    internal Hl7Message(Hl7Encoding encoding, IReadOnlyList<Hl7Segment> segments, string text)
    {
        Encoding = encoding;
        Segments = segments;
        Text = text;
    }

    /// <summary>The message as text. It may hold PHI: never log it.</summary>
    public string Text { get; }

    /// <summary>The delimiters of MSH-1 and MSH-2.</summary>
    public Hl7Encoding Encoding { get; }

    /// <summary>The segments in order; the first is MSH.</summary>
    public IReadOnlyList<Hl7Segment> Segments { get; }

    /// <summary>The MSH segment.</summary>
    public Hl7Segment Header => Segments[0];

    /// <summary>MSH-9.1^MSH-9.2, e.g. "DFT^P03".</summary>
    public string MessageType => $"{Value(Header, Hl7Path.Parse("MSH-9.1"))}^{Value(Header, Hl7Path.Parse("MSH-9.2"))}".TrimEnd('^');

    /// <summary>MSH-10, the message control id.</summary>
    public string ControlId => Value(Header, Hl7Path.Parse("MSH-10")) ?? "";

    /// <summary>MSH-4.1, the sending facility.</summary>
    public string SendingFacility => Value(Header, Hl7Path.Parse("MSH-4.1")) ?? "";

    /// <summary>MSH-12.1, the HL7 version.</summary>
    public string Version => Value(Header, Hl7Path.Parse("MSH-12.1")) ?? "";

    /// <summary>The first segment with this id, or null.</summary>
    public Hl7Segment? First(string id) => Segments.FirstOrDefault(s => s.Id == id);

    /// <summary>Every segment with this id, in order.</summary>
    public IEnumerable<Hl7Segment> All(string id) => Segments.Where(s => s.Id == id);

    /// <summary>
    /// The unescaped value at <paramref name="path"/> in <paramref name="segment"/> (or in the first segment of the
    /// path's id when <paramref name="segment"/> is another one), or null when it is absent, empty or HL7's
    /// explicit null <c>""</c>.
    /// </summary>
    public string? Value(Hl7Segment? segment, Hl7Path path)
    {
        if (segment is null || segment.Id != path.Segment)
        {
            segment = First(path.Segment);
        }

        var field = segment?.Raw(path.Field) ?? "";
        if (path.Segment == "MSH" && path.Field <= 2)
        {
            // MSH-1 and MSH-2 are the delimiters themselves: never split, never unescaped.
            return field.Length == 0 ? null : field;
        }

        var repetition = Repetition(field, path);
        if (repetition is null)
        {
            return null;
        }

        var component = Part(repetition, Encoding.Component, path.Component);
        var leaf = Part(component, Encoding.Subcomponent, path.Subcomponent);
        return leaf.Length == 0 || leaf == "\"\"" ? null : Encoding.Unescape(leaf);
    }

    private string? Repetition(string field, Hl7Path path)
    {
        var repetitions = field.Split(Encoding.Repetition);
        if (path.Where is { } where)
        {
            // The repetition whose component matches, e.g. PID-3[5=MR]: the identifier of type MR.
            return repetitions.FirstOrDefault(r => Encoding.Unescape(Part(r, Encoding.Component, where.Component)) == where.Value);
        }

        var index = path.Repetition ?? 1;
        return index <= repetitions.Length ? repetitions[index - 1] : null;
    }

    private static string Part(string value, char separator, int? number)
    {
        if (number is null)
        {
            return value;
        }

        var start = 0;
        for (var i = 1; i < number; i++)
        {
            start = value.IndexOf(separator, start);
            if (start < 0)
            {
                return "";
            }

            start++;
        }

        var end = value.IndexOf(separator, start);
        return end < 0 ? value[start..] : value[start..end];
    }
}
