using Google.Protobuf.WellKnownTypes;
using Mesh.Registry.Auditing;
using Mesh.Registry.Compatibility;
using Mesh.Registry.Storage;
using Mesh.Resources;
using Microsoft.Extensions.Options;

namespace Mesh.Registry.Governance;

/// <summary>
/// The settings that govern registrations: each subject's (compatibility, rule category, lint, owner, lifecycle
/// state) and the registry defaults. Every change is a compare-and-write that commits with its audit entry.
/// </summary>
public sealed class SubjectSettings(RedisRegistryStore store, SubjectLocks locks, IOptions<RegistryOptions> options, TimeProvider clock)
{
    /// <summary>The registry defaults: as an architect set them, else as configured.</summary>
    public async Task<RegistryConfig> ConfigAsync() => await store.GetConfigAsync() ?? SubjectRules.DefaultConfig(options.Value.Defaults);

    /// <summary>The policy a subject's candidates are judged under (a subject with no versions yet has no settings).</summary>
    public async Task<EffectivePolicy> PolicyAsync(Subject? settings) => SubjectRules.Policy(settings, await ConfigAsync());

    /// <summary>
    /// Changes the fields <paramref name="paths"/> of a subject to those of <paramref name="change"/> on behalf of
    /// <paramref name="principal"/>; NOT_FOUND for a subject that has never had a version.
    /// </summary>
    public async Task<Subject> UpdateSubjectAsync(string subject, Subject change, IReadOnlyList<string> paths, string principal, CancellationToken ct)
    {
        using var held = await locks.AcquireAsync(subject, ct);
        return await CompareAndWrite.RunAsync(store, subject, async revisions =>
        {
            var current = await store.GetSubjectAsync(subject)
                ?? throw RegistryErrors.NotFound($"subjects/{subject} does not exist; register a version first");
            var (_, versions) = await store.GetVersionsAsync(subject);
            var updated = SubjectRules.Apply(current, change, paths, Timestamp.FromDateTimeOffset(clock.GetUtcNow()));
            var audit = AuditRecords.Of(principal, nameof(RegistryService.RegistryServiceBase.UpdateSubject), subject, 0, AuditRecords.Accepted, $"updated {string.Join(',', paths)}");
            // The versions were read after the revision the write checks, so the latest version is current too.
            return await store.SaveSubjectAsync(subject, revisions, updated, audit) ? SchemaCatalog.WithLatest(updated, versions) : null;
        });
    }

    /// <summary>Changes the fields <paramref name="paths"/> of the registry defaults to those of <paramref name="change"/>.</summary>
    public Task<RegistryConfig> UpdateConfigAsync(RegistryConfig change, IReadOnlyList<string> paths, string principal) =>
        CompareAndWrite.RunAsync(store, "", async revisions =>
        {
            var updated = SubjectRules.Apply(await ConfigAsync(), change, paths);
            var audit = AuditRecords.Of(principal, nameof(RegistryService.RegistryServiceBase.UpdateRegistryConfig), "", 0, AuditRecords.Accepted, $"updated {string.Join(',', paths)}");
            return await store.SaveConfigAsync(revisions, updated, audit) ? updated : null;
        });
}
