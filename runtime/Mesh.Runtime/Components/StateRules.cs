using System.Globalization;

namespace Mesh.Runtime.Components;

/// <summary>
/// state.redis's ETag rules (components-contrib state/redis/redis.go), shared so that the in-memory store
/// behaves like the Redis one. <see cref="RedisStateStore"/>'s Lua script applies the same rules in Redis.
/// </summary>
/// <remarks>
/// Dapr ignores a set's ETag when the client explicitly asks for last-write; <see cref="StateConcurrency.LastWrite"/>
/// also stands for "unspecified" (what clients send by default), where Dapr does check it, so Mesh always checks it.
/// </remarks>
internal static class StateRules
{
    /// <summary>"No expectation": a write or delete without ETag.</summary>
    public const string NoVersion = "0";

    /// <summary>The version a set expects: "0" without ETag, else the ETag as a decimal integer.</summary>
    /// <exception cref="InvalidETagException">The ETag is not an integer.</exception>
    public static string ExpectedVersion(StateSetRequest set)
    {
        if (string.IsNullOrEmpty(set.ETag))
        {
            return NoVersion;
        }

        // Dapr parses with Go's strconv.Atoi and compares the formatted number, so "+7" and "07" mean "7".
        return long.TryParse(set.ETag, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var version)
            ? version.ToString(CultureInfo.InvariantCulture)
            : throw new InvalidETagException(set.Key, set.ETag);
    }

    /// <summary>The version a delete expects: "0" without ETag, else the ETag as given (Dapr compares it as text).</summary>
    public static string ExpectedVersion(StateDeleteRequest delete) => string.IsNullOrEmpty(delete.ETag) ? NoVersion : delete.ETag;

    /// <summary>
    /// A set goes ahead when the key has no version, or the expected version is the current one, or the set
    /// carries no ETag and the key was never written with first-write concurrency.
    /// </summary>
    public static bool MaySet(string? currentVersion, bool everFirstWrite, string expected) =>
        currentVersion is null || currentVersion == expected || (!everFirstWrite && expected == NoVersion);

    /// <summary>A delete goes ahead when the key has no version, or the expected version is the current one, or it carries no ETag.</summary>
    public static bool MayDelete(string? currentVersion, string expected) =>
        currentVersion is null || currentVersion == expected || expected == NoVersion;

    /// <summary>Checks that an operation is exactly one of set or delete.</summary>
    public static void EnsureWellFormed(StateOperation operation)
    {
        if ((operation.Set is null) == (operation.Delete is null))
        {
            throw new ArgumentException("a state operation must have exactly one of Set or Delete", nameof(operation));
        }
    }
}
