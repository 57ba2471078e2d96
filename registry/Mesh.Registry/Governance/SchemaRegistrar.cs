using Google.Protobuf.WellKnownTypes;
using Mesh.Registry.Auditing;
using Mesh.Registry.Compatibility;
using Mesh.Registry.Storage;

namespace Mesh.Registry.Governance;

/// <summary>What a check says about a candidate: every violation (buf's, governance, lifecycle), against which versions, under which policy.</summary>
public sealed record Assessment(IReadOnlyList<Violation> Violations, IReadOnlyList<int> ComparedVersions, EffectivePolicy Policy, int IdenticalVersion)
{
    /// <summary>True when registering the candidate would be accepted.</summary>
    public bool Compatible => Violations.Count == 0;
}

/// <summary>
/// Registers schema versions. Content already registered under the subject returns that version (idempotent);
/// otherwise the subject must accept versions (lifecycle), have an owner, and the candidate must pass lint,
/// governance and the breaking checks of its policy. The version, its content, a new subject's settings and the
/// audit entry are then appended in one script, only if nothing the verdict depended on changed meanwhile.
/// </summary>
public sealed class SchemaRegistrar(
    RedisRegistryStore store,
    SchemaCatalog catalog,
    SubjectSettings settings,
    CompatibilityChecker checker,
    SubjectLocks locks,
    TimeProvider clock,
    ILogger<SchemaRegistrar> logger)
{
    private const string Create = nameof(RegistryService.RegistryServiceBase.CreateSchemaVersion);

    /// <summary>
    /// Registers <paramref name="candidate"/> as the subject's next version on behalf of <paramref name="principal"/>,
    /// owned by <paramref name="owner"/> (when given); throws <see cref="IncompatibleVersionException"/> when it fails its checks.
    /// </summary>
    public async Task<SchemaVersion> RegisterAsync(string subject, Candidate candidate, string owner, string principal, CancellationToken ct)
    {
        using var held = await locks.AcquireAsync(subject, ct);
        return await CompareAndWrite.RunAsync(store, subject, async revisions =>
        {
            var current = await store.GetSubjectAsync(subject);
            var (count, versions) = await store.GetVersionsAsync(subject);
            if (Identical(versions, candidate) is { } identical)
            {
                var existing = await catalog.WithContentAsync(identical.Metadata);
                // Nothing changed, so the entry is atomic with nothing; it is the call's last step (see AuditInterceptor).
                await store.AppendAuditAsync(AuditRecords.Of(principal, Create, subject, existing.Version, AuditRecords.Unchanged, "identical content is already this version"));
                return existing;
            }

            SubjectRules.EnsureAcceptsVersions(subject, current);
            var newOwner = SubjectRules.Owner(subject, owner, current, candidate.DeclaredOwner());
            var policy = await settings.PolicyAsync(current);
            var verdict = await checker.CheckAsync(candidate, await catalog.LiveAsync(versions), policy, ct);
            if (!verdict.Compatible)
            {
                throw new IncompatibleVersionException(subject, policy, verdict);
            }

            var now = Timestamp.FromDateTimeOffset(clock.GetUtcNow());
            var metadata = new SchemaVersion { Fingerprint = candidate.Fingerprint, CreatePrincipal = principal, CreateTime = now };
            var audit = AuditRecords.Of(principal, Create, subject, count + 1, AuditRecords.Accepted,
                $"compared with versions [{string.Join(',', verdict.ComparedVersions)}] under {policy.Mode} / {policy.Category}");
            var (outcome, version, schemaId) = await store.AppendVersionAsync(
                subject, revisions, count, candidate.Fingerprint, candidate.DescriptorSet, metadata, candidate.OwnFiles, SubjectRules.NewSubject(subject, newOwner, now), audit);
            if (outcome == AppendOutcome.Conflict)
            {
                logger.LogInformation("Registration to {Subject} raced another writer; checking again", subject);
                return null;
            }

            metadata.Name = $"subjects/{subject}/versions/{version}";
            metadata.Version = version;
            metadata.SchemaId = schemaId;
            metadata.FileDescriptorSet = candidate.DescriptorSet;
            return metadata;
        });
    }

    /// <summary>What registering <paramref name="candidate"/> would meet, without registering it.</summary>
    public async Task<Assessment> AssessAsync(string subject, Candidate candidate, CancellationToken ct)
    {
        var current = await store.GetSubjectAsync(subject);
        var (_, versions) = await store.GetVersionsAsync(subject);
        var policy = await settings.PolicyAsync(current);
        var verdict = await checker.CheckAsync(candidate, await catalog.LiveAsync(versions), policy, ct);
        // Said, not only implied by compatible=false, so a CI check prints why registration would be refused.
        List<Violation> violations = SubjectRules.LifecycleViolation(subject, current) is { } lifecycle ? [.. verdict.Violations, lifecycle] : [.. verdict.Violations];
        return new Assessment(violations, verdict.ComparedVersions, policy, Identical(versions, candidate)?.Metadata.Version ?? 0);
    }

    /// <summary>Soft-deletes a version on behalf of <paramref name="principal"/>: later checks skip it, readers still find it.</summary>
    public async Task DeleteAsync(string subject, int number, string principal, CancellationToken ct)
    {
        using var held = await locks.AcquireAsync(subject, ct);
        await CompareAndWrite.RunAsync(store, subject, async revisions =>
        {
            var (_, versions) = await store.GetVersionsAsync(subject);
            var found = versions.FirstOrDefault(v => v.Metadata.Version == number && !v.Metadata.Deleted)
                ?? throw RegistryErrors.NotFound($"subjects/{subject}/versions/{number} does not exist or is already deleted");
            found.Metadata.Deleted = true;
            var audit = AuditRecords.Of(principal, nameof(RegistryService.RegistryServiceBase.DeleteSchemaVersion), subject, number, AuditRecords.Accepted, "soft-deleted");
            return await store.SaveVersionAsync(subject, revisions, found.Metadata, audit) ? found : null;
        });
    }

    private static StoredVersion? Identical(IReadOnlyList<StoredVersion> versions, Candidate candidate) =>
        versions.FirstOrDefault(v => !v.Metadata.Deleted && v.Metadata.Fingerprint == candidate.Fingerprint);
}
