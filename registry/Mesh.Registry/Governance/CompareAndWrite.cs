using Mesh.Registry.Compatibility;
using Mesh.Registry.Storage;
using Mesh.Resources;

namespace Mesh.Registry.Governance;

/// <summary>
/// Every registry write is a compare-and-write on the revision of its subject (and of the registry defaults): a
/// concurrent change makes the write fail, and it is redone on fresh data, so no update is lost and nothing is
/// accepted under settings that changed while it was judged.
/// </summary>
internal static class CompareAndWrite
{
    private const int MaxAttempts = 5;

    /// <summary>
    /// Runs <paramref name="attempt"/> with the revisions read before its data until it returns a result (null means
    /// another writer won); ABORTED when <paramref name="target"/> ("" for the registry config) keeps changing.
    /// </summary>
    public static async Task<T> RunAsync<T>(RedisRegistryStore store, string target, Func<Revisions, Task<T?>> attempt)
        where T : class
    {
        for (var i = 0; i < MaxAttempts; i++)
        {
            if (await attempt(await store.GetRevisionsAsync(target)) is { } result)
            {
                return result;
            }
        }

        throw ResourceErrors.Aborted($"{(target.Length == 0 ? "the registry config" : ResourceNames.OfSubject(target))} kept changing; retry");
    }
}

/// <summary>A refusal of a version that does not pass its subject's checks, with the verdict that refused it.</summary>
public sealed class IncompatibleVersionException(string subject, EffectivePolicy policy, Verdict verdict)
    : Exception($"the version is not compatible with subjects/{subject} under {policy.Mode} / {policy.Category}")
{
    /// <summary>The subject id.</summary>
    public string Subject => subject;

    /// <summary>The policy the candidate was judged under.</summary>
    public EffectivePolicy Policy => policy;

    /// <summary>What refused it.</summary>
    public Verdict Verdict => verdict;
}
