using System.Text.RegularExpressions;

namespace Mesh.Workflows.Cases;

/// <summary>
/// Names of the case API: a flow is "flows/{flow}", a case "flows/{flow}/cases/{case}". A case id is the id of the
/// event that started the case, so it follows the event id rule: 1-128 letters, digits, '.', '_', ':' or '-'.
/// </summary>
public static partial class CaseNames
{
    /// <summary>What a case id may be, as said in error messages.</summary>
    public const string CaseIdRule = "1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit";

    private const string Flows = "flows/";
    private const string Cases = "/cases/";

    [GeneratedRegex(@"\A[A-Za-z0-9][A-Za-z0-9._:-]{0,127}\z")]
    private static partial Regex CaseIdPattern();

    /// <summary>The name of a flow.</summary>
    public static string FlowName(string flow) => Flows + flow;

    /// <summary>The name of a case of a flow.</summary>
    public static string Of(string flow, string caseId) => Flows + flow + Cases + caseId;

    /// <summary>True for an event id that can name a case.</summary>
    public static bool IsCaseId(string id) => CaseIdPattern().IsMatch(id);

    /// <summary>The flow id in "flows/{flow}"; INVALID_ARGUMENT naming <paramref name="field"/> when it is not a flow name.</summary>
    public static string FlowOf(string name, string field) =>
        name.StartsWith(Flows, StringComparison.Ordinal) && name.Length > Flows.Length && !name.AsSpan(Flows.Length).Contains('/')
            ? name[Flows.Length..]
            : throw CaseErrors.Invalid(field, "is not a flow name; expected flows/{flow}");

    /// <summary>
    /// The flow and case ids in "flows/{flow}/cases/{case}"; INVALID_ARGUMENT naming <paramref name="field"/> when it is
    /// not a case name.
    /// </summary>
    public static (string Flow, string CaseId) Parse(string name, string field)
    {
        var cases = name.StartsWith(Flows, StringComparison.Ordinal) ? name.IndexOf(Cases, Flows.Length, StringComparison.Ordinal) : -1;
        if (cases <= Flows.Length || name.AsSpan(Flows.Length, cases - Flows.Length).Contains('/'))
        {
            throw CaseErrors.Invalid(field, "is not a case name; expected flows/{flow}/cases/{case}");
        }

        var caseId = name[(cases + Cases.Length)..];
        return IsCaseId(caseId)
            ? (name[Flows.Length..cases], caseId)
            : throw CaseErrors.Invalid(field, $"has a case id that is not {CaseIdRule}");
    }
}
