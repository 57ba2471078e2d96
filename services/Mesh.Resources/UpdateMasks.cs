using Google.Protobuf.WellKnownTypes;

namespace Mesh.Resources;

/// <summary>The AIP-134 rules of an update mask, for services whose storage is not a <see cref="ResourceStore{T}"/>.</summary>
public static class UpdateMasks
{
    /// <summary>
    /// The paths of <paramref name="mask"/>: INVALID_ARGUMENT, listing the allowed paths, when the mask is missing or
    /// empty or names a path outside <paramref name="updatable"/>.
    /// </summary>
    public static IReadOnlyList<string> Paths(FieldMask? mask, IReadOnlySet<string> updatable)
    {
        if (mask is not { Paths.Count: > 0 })
        {
            throw ResourceErrors.Invalid($"update_mask is required; allowed paths: {string.Join(", ", updatable)}");
        }

        return mask.Paths.FirstOrDefault(p => !updatable.Contains(p)) is { } bad
            ? throw ResourceErrors.Invalid($"update_mask path '{bad}' cannot be updated; allowed paths: {string.Join(", ", updatable)}")
            : [.. mask.Paths];
    }
}
