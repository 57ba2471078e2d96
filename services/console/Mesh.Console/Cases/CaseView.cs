using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Classification;
using Mesh.Contracts.Options.V1;
using Mesh.Contracts.Workflows.V1;

namespace Mesh.Console.Cases;

/// <summary>One field of what a case is about, as a page shows it: its value, or the classification that withheld it.</summary>
/// <param name="Field">The field's name.</param>
/// <param name="Value">The value; empty when withheld or unset.</param>
/// <param name="WithheldAs">The classification the operator may not see, when the value was withheld.</param>
public sealed record SubjectField(string Field, string Value, DataClassification? WithheldAs);

/// <summary>
/// A case as an operator may see it: projected by the contracts' classifications (the gateway's projection) before
/// anything of it reaches a page, so a value the operator's scopes do not cover is never rendered.
/// </summary>
public sealed class CaseView
{
    private CaseView(Case projected, IReadOnlyList<SubjectField> subject)
    {
        Case = projected;
        Subject = subject;
    }

    /// <summary>The case without the withheld values.</summary>
    public Case Case { get; }

    /// <summary>The fields of the flow's subject message, in declaration order.</summary>
    public IReadOnlyList<SubjectField> Subject { get; }

    /// <summary>The case id: the id of the event that started it.</summary>
    public string Id => IdOf(Case.Name);

    /// <summary>The flow id.</summary>
    public string Flow => FlowOf(Case.Name);

    /// <summary>The case projected for an operator who may not see <paramref name="withheld"/>.</summary>
    public static CaseView For(Case recorded, IReadOnlySet<DataClassification> withheld)
    {
        var projected = Projection.Without(recorded, withheld);
        return new CaseView(projected, SubjectOf(projected, withheld));
    }

    /// <summary>The case id of "flows/{flow}/cases/{case}".</summary>
    public static string IdOf(string name) => name[(name.LastIndexOf('/') + 1)..];

    /// <summary>The flow id of "flows/{flow}/cases/{case}".</summary>
    public static string FlowOf(string name) => name.Split('/') is [_, var flow, ..] ? flow : "";

    /// <summary>A timestamp as pages show it, UTC to the millisecond.</summary>
    public static string Format(Timestamp? at) =>
        at is null ? "" : at.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>A duration as pages show it.</summary>
    public static string Format(Duration? duration) =>
        duration is null ? "" : $"{duration.ToTimeSpan().TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms";

    /// <summary>A case state without its enum prefix, e.g. "EXCEPTION".</summary>
    public static string Format(CaseState state) => state.ToString().ToUpperInvariant();

    // The set member of the case's subject oneof, field by field.
    private static List<SubjectField> SubjectOf(Case projected, IReadOnlySet<DataClassification> withheld)
    {
        var member = Case.Descriptor.Oneofs.Single(o => o.Name == "subject").Accessor.GetCaseFieldDescriptor(projected);
        if (member is null)
        {
            return [];
        }

        var subject = (IMessage)member.Accessor.GetValue(projected);
        return [.. subject.Descriptor.Fields.InDeclarationOrder().Select(field =>
        {
            var classification = DataClassifications.Stricter(DataClassifications.Of(member), DataClassifications.Of(field));
            return withheld.Contains(classification)
                ? new SubjectField(field.Name, "", classification)
                : new SubjectField(field.Name, ValueOf(field, field.Accessor.GetValue(subject)), null);
        })];
    }

    private static string ValueOf(FieldDescriptor field, object? value) => value switch
    {
        null => "",
        Timestamp at => Format(at),
        IMessage message => JsonFormatter.Default.Format(message),
        bool flag => flag ? "yes" : "no",
        _ when field.IsRepeated => string.Join(", ", ((System.Collections.IEnumerable)value).Cast<object>()),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
