using Mesh.Registry.Storage;
using Mesh.Resources;

namespace Mesh.Registry.Governance;

/// <summary>
/// What the registry holds, as readers see it: versions by number or as "latest" (the newest not deleted), content
/// by global id, subjects with their latest version, and the audit log.
/// </summary>
public sealed class SchemaCatalog(RedisRegistryStore store)
{
    /// <summary>Version <paramref name="number"/> of the subject, or its latest when null; NOT_FOUND saying what exists.</summary>
    public async Task<SchemaVersion> VersionAsync(string subject, int? number)
    {
        var (_, versions) = await store.GetVersionsAsync(subject);
        if (versions.Count == 0)
        {
            throw ResourceErrors.NotFound(ResourceNames.OfSubject(subject));
        }

        var found = number is null
            ? versions.LastOrDefault(v => !v.Metadata.Deleted) ?? throw RegistryErrors.NotFound($"subjects/{subject} has no version that is not deleted")
            : versions.FirstOrDefault(v => v.Metadata.Version == number)
                ?? throw RegistryErrors.NotFound($"subjects/{subject}/versions/{number} does not exist; subjects/{subject} has versions 1 to {versions.Count}");
        return await WithContentAsync(found.Metadata);
    }

    /// <summary>The content stored under a global id; NOT_FOUND when there is none.</summary>
    public async Task<SchemaVersion> SchemaAsync(long schemaId)
    {
        var content = await store.GetSchemaAsync(schemaId) ?? throw ResourceErrors.NotFound($"schema_id {schemaId}");
        return new SchemaVersion { SchemaId = schemaId, Fingerprint = content.Fingerprint, FileDescriptorSet = content.DescriptorSet };
    }

    /// <summary>
    /// Up to <paramref name="size"/> versions numbered above <paramref name="after"/> (metadata only), and whether more
    /// follow; NOT_FOUND when the subject has none. Numbers never move, so deletes between pages skip nothing.
    /// </summary>
    public async Task<(List<SchemaVersion> Page, bool More)> VersionsAsync(string subject, int after, int size, bool showDeleted)
    {
        var (_, versions) = await store.GetVersionsAsync(subject);
        if (versions.Count == 0)
        {
            throw ResourceErrors.NotFound(ResourceNames.OfSubject(subject));
        }

        var remaining = versions.Where(v => v.Metadata.Version > after && (showDeleted || !v.Metadata.Deleted)).Select(v => v.Metadata).ToList();
        return (remaining.Take(size).ToList(), remaining.Count > size);
    }

    /// <summary>The subject's settings with its latest version; NOT_FOUND when it has never had one.</summary>
    public async Task<Subject> SubjectAsync(string subject)
    {
        var settings = await store.GetSubjectAsync(subject) ?? throw ResourceErrors.NotFound(ResourceNames.OfSubject(subject));
        var (_, versions) = await store.GetVersionsAsync(subject);
        return WithLatest(settings, versions);
    }

    /// <summary>Up to <paramref name="size"/> subjects named after <paramref name="after"/>, in order, and whether more follow.</summary>
    public async Task<(List<Subject> Page, bool More)> SubjectsAsync(string after, int size)
    {
        var names = await store.ListSubjectsAsync(after, size + 1);
        var page = new List<Subject>(size);
        foreach (var name in names.Take(size))
        {
            page.Add(await SubjectAsync(name));
        }

        return (page, names.Count > size);
    }

    /// <summary>Up to <paramref name="size"/> audit entries older than the stream id <paramref name="before"/> ("" for the newest), newest first, of one subject id or ("") all.</summary>
    public async Task<(List<AuditEntry> Page, bool More)> AuditAsync(string before, int size, string subject)
    {
        var name = subject.Length == 0 ? "" : ResourceNames.OfSubject(subject);
        var entries = await store.ListAuditAsync(before.Length == 0 ? null : before, size + 1, e => name.Length == 0 || e.Subject == name);
        return (entries.Take(size).ToList(), entries.Count > size);
    }

    /// <summary>The subject's settings as readers see them: with the number of its newest version that is not deleted.</summary>
    internal static Subject WithLatest(Subject settings, IReadOnlyList<StoredVersion> versions)
    {
        var copy = settings.Clone();
        copy.LatestVersion = versions.LastOrDefault(v => !v.Metadata.Deleted)?.Metadata.Version ?? 0;
        return copy;
    }

    /// <summary>The version's metadata with its content.</summary>
    internal async Task<SchemaVersion> WithContentAsync(SchemaVersion metadata)
    {
        var copy = metadata.Clone();
        copy.FileDescriptorSet = (await ContentAsync(metadata.SchemaId)).DescriptorSet;
        return copy;
    }

    /// <summary>The versions that are not deleted, each with its content, oldest first: what a candidate is judged against.</summary>
    internal async Task<List<(StoredVersion Version, ByteString DescriptorSet)>> LiveAsync(IReadOnlyList<StoredVersion> versions)
    {
        var live = new List<(StoredVersion, ByteString)>();
        foreach (var version in versions.Where(v => !v.Metadata.Deleted))
        {
            live.Add((version, (await ContentAsync(version.Metadata.SchemaId)).DescriptorSet));
        }

        return live;
    }

    // A version's content is written before its record, in one script: missing content is lost data, not a bad request.
    private async Task<(ByteString DescriptorSet, string Fingerprint)> ContentAsync(long schemaId) =>
        await store.GetSchemaAsync(schemaId) ?? throw RegistryErrors.DataLoss($"content of schema id {schemaId} is missing");
}
