using System.Globalization;
using System.Text.RegularExpressions;
using Mesh.Resources;

namespace Mesh.Registry;

/// <summary>
/// Parses the registry's resource names; a bad one fails with INVALID_ARGUMENT naming the field.
/// Not <see cref="ResourceName"/>: a subject id is a proto package ("mesh.inventory.v1"), with dots, capitals and up to 200 characters.
/// </summary>
internal static partial class ResourceNames
{
    /// <summary>The version segment meaning "the newest version that is not deleted".</summary>
    public const string Latest = "latest";

    [GeneratedRegex(@"^subjects/(?<subject>[A-Za-z0-9][A-Za-z0-9._-]{0,199})\z")]
    private static partial Regex SubjectName();

    [GeneratedRegex(@"^subjects/(?<subject>[A-Za-z0-9][A-Za-z0-9._-]{0,199})/versions/(?<version>[1-9][0-9]{0,8}|latest)\z")]
    private static partial Regex VersionName();

    [GeneratedRegex(@"^subjects/(?<subject>[A-Za-z0-9][A-Za-z0-9._-]{0,199})(?:/|\z)")]
    private static partial Regex SubjectPrefix();

    /// <summary>The subject id of "subjects/{subject}".</summary>
    public static string Subject(string name, string field)
    {
        var match = SubjectName().Match(name);
        return match.Success
            ? match.Groups["subject"].Value
            : throw Invalid(field, name, "subjects/{subject}, where {subject} is letters, digits, '.', '_' or '-' (e.g. subjects/mesh.inventory.v1)");
    }

    /// <summary>The subject and version (null for latest) of "subjects/{subject}/versions/{version}".</summary>
    public static (string Subject, int? Version) Version(string name, string field)
    {
        var match = VersionName().Match(name);
        if (!match.Success)
        {
            throw Invalid(field, name, "subjects/{subject}/versions/{version}, where {version} is a number from 1 or 'latest'");
        }

        var version = match.Groups["version"].Value;
        return (match.Groups["subject"].Value, version == Latest ? null : int.Parse(version, CultureInfo.InvariantCulture));
    }

    /// <summary>The subject a name starts with ("subjects/{subject}" or below it), or "" when it names none; never fails.</summary>
    public static string SubjectOf(string name)
    {
        var match = SubjectPrefix().Match(name);
        return match.Success ? match.Groups["subject"].Value : "";
    }

    /// <summary>True for a subject id (the {subject} of "subjects/{subject}").</summary>
    public static bool IsSubjectId(string subject) => SubjectName().IsMatch(OfSubject(subject));

    /// <summary>The name of a subject.</summary>
    public static string OfSubject(string subject) => $"subjects/{subject}";

    private static RpcException Invalid(string field, string value, string expected) =>
        ResourceErrors.Invalid($"{field} '{value}' is not a valid name; expected {expected}");
}
