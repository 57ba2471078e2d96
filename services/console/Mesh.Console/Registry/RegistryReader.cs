using Google.Protobuf.Reflection;
using Grpc.Core;
using Mesh.Contracts.Registry.V1;
using Microsoft.Extensions.Options;

namespace Mesh.Console.Registry;

/// <summary>
/// The schema registry as operators read it, through the sidecar with the console's reader token
/// (<c>Console:RegistryToken</c>, any known registry token: reads need no role).
/// </summary>
public sealed class RegistryReader(RegistryService.RegistryServiceClient registry, IOptions<ConsoleOptions> options)
{
    private Metadata Reader => new() { { "authorization", $"Bearer {options.Value.RegistryToken}" } };

    /// <summary>Every subject.</summary>
    public async Task<List<Subject>> SubjectsAsync(CancellationToken ct) =>
        (await Mesh.Contracts.Pages.AllAsync<Subject>(async token =>
        {
            var page = await registry.ListSubjectsAsync(new ListSubjectsRequest { PageSize = 1000, PageToken = token }, Reader, cancellationToken: ct);
            return (page.Subjects, page.NextPageToken);
        })).Items;

    /// <summary>The registry's defaults, which a subject without its own settings follows.</summary>
    public async Task<RegistryConfig> DefaultsAsync(CancellationToken ct) =>
        await registry.GetRegistryConfigAsync(new GetRegistryConfigRequest { Name = "config" }, Reader, cancellationToken: ct);

    /// <summary>What a subject's compatibility setting means: its own, or the registry default's.</summary>
    public static string Effective(CompatibilityMode own, CompatibilityMode defaults) =>
        own == CompatibilityMode.Unspecified ? $"{defaults} (registry default)" : own.ToString();

    /// <summary>What a subject's rule category means: its own, or the registry default's.</summary>
    public static string Effective(RuleCategory own, RuleCategory defaults) =>
        own == RuleCategory.Unspecified ? $"{defaults} (registry default)" : own.ToString();

    /// <summary>A subject's settings.</summary>
    public async Task<Subject> SubjectAsync(string subject, CancellationToken ct) =>
        await registry.GetSubjectAsync(new GetSubjectRequest { Name = $"subjects/{subject}" }, Reader, cancellationToken: ct);

    /// <summary>A subject's versions, soft-deleted ones too, oldest first.</summary>
    public async Task<List<SchemaVersion>> VersionsAsync(string subject, CancellationToken ct) =>
        (await Mesh.Contracts.Pages.AllAsync<SchemaVersion>(async token =>
        {
            var page = await registry.ListSchemaVersionsAsync(
                new ListSchemaVersionsRequest { Parent = $"subjects/{subject}", PageSize = 1000, PageToken = token, ShowDeleted = true }, Reader, cancellationToken: ct);
            return (page.SchemaVersions, page.NextPageToken);
        })).Items;

    /// <summary>The diff between two versions of a subject.</summary>
    public async Task<List<DiffLine>> DiffAsync(string subject, int from, int to, CancellationToken ct)
    {
        var older = await registry.GetSchemaVersionAsync(new GetSchemaVersionRequest { Name = $"subjects/{subject}/versions/{from}" }, Reader, cancellationToken: ct);
        var newer = await registry.GetSchemaVersionAsync(new GetSchemaVersionRequest { Name = $"subjects/{subject}/versions/{to}" }, Reader, cancellationToken: ct);
        return SchemaDiff.Between(FileDescriptorSet.Parser.ParseFrom(older.FileDescriptorSet), FileDescriptorSet.Parser.ParseFrom(newer.FileDescriptorSet));
    }
}
