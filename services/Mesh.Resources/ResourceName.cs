using System.Text.RegularExpressions;

namespace Mesh.Resources;

/// <summary>
/// AIP resource names of the form <c>{collection}/{id}</c>, with ids of 1-63 lowercase letters, digits or '-'
/// (AIP-122), so names can be keys and URL segments as they are.
/// </summary>
/// <param name="Collection">The collection id, e.g. "items".</param>
public sealed partial record ResourceName(string Collection)
{
    [GeneratedRegex(@"\A[a-z0-9][a-z0-9-]{0,62}\z")]
    private static partial Regex IdPattern();

    /// <summary>The full name of the resource with this id.</summary>
    public string Of(string id) => $"{Collection}/{id}";

    /// <summary>The id in <paramref name="name"/>; INVALID_ARGUMENT naming <paramref name="field"/> when it is not one of this collection.</summary>
    public string IdOf(string name, string field)
    {
        var prefix = Collection + "/";
        return name.StartsWith(prefix, StringComparison.Ordinal) && IsValidId(name[prefix.Length..])
            ? name[prefix.Length..]
            : throw ResourceErrors.Invalid($"{field} '{name}' is not a {Collection} name; expected {Collection}/{{id}} with a lowercase id");
    }

    /// <summary>
    /// The id a create request asks for, or a new random one when it asks for none; INVALID_ARGUMENT naming
    /// <paramref name="field"/> when the asked id is malformed.
    /// </summary>
    public static string NewId(string requested, string field) =>
        requested.Length == 0 ? Guid.NewGuid().ToString("N")[..16]
        : IsValidId(requested) ? requested
        : throw ResourceErrors.Invalid($"{field} '{requested}' must be 1-63 lowercase letters, digits or '-', starting with a letter or digit");

    /// <summary>True for an id of the AIP-122 form.</summary>
    public static bool IsValidId(string id) => IdPattern().IsMatch(id);
}
