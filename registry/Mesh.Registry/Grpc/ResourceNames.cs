using System.Globalization;
using System.Text.RegularExpressions;

namespace Mesh.Registry.Grpc;

/// <summary>Parses the registry's resource names; a bad one fails with INVALID_ARGUMENT naming the field.</summary>
internal static partial class ResourceNames
{
    /// <summary>The version segment meaning "the newest version that is not deleted".</summary>
    public const string Latest = "latest";

    [GeneratedRegex(@"^subjects/(?<subject>[A-Za-z0-9][A-Za-z0-9._-]{0,199})\z")]
    private static partial Regex SubjectName();

    [GeneratedRegex(@"^subjects/(?<subject>[A-Za-z0-9][A-Za-z0-9._-]{0,199})/versions/(?<version>[1-9][0-9]{0,8}|latest)\z")]
    private static partial Regex VersionName();

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

    /// <summary>The name of a subject.</summary>
    public static string OfSubject(string subject) => $"subjects/{subject}";

    private static RpcException Invalid(string field, string value, string expected) =>
        new(new Status(StatusCode.InvalidArgument, $"{field} '{value}' is not a valid name; expected {expected}"));
}
