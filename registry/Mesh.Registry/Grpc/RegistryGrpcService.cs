using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Mesh.Registry.Compatibility;
using Mesh.Registry.Governance;
using Mesh.Registry.Security;
using Mesh.Registry.Storage;
using Mesh.Resources;
using Microsoft.Extensions.Options;

namespace Mesh.Registry.Grpc;

/// <summary>
/// mesh.registry.v1.RegistryService: validates and maps requests and errors; the rules live in
/// <see cref="SchemaRegistrar"/>, <see cref="SubjectSettings"/> and <see cref="SchemaCatalog"/>. Authentication
/// and auditing are interceptors (<see cref="BearerTokenInterceptor"/>, <see cref="Auditing.AuditInterceptor"/>).
/// </summary>
public sealed class RegistryGrpcService(SchemaRegistrar registrar, SubjectSettings settings, SchemaCatalog catalog, IOptions<RegistryOptions> options)
    : RegistryService.RegistryServiceBase
{
    /// <inheritdoc />
    public override async Task<SchemaVersion> CreateSchemaVersion(CreateSchemaVersionRequest request, ServerCallContext context)
    {
        var subject = ResourceNames.Subject(request.Parent, "parent");
        var candidate = ParseCandidate(request.FileDescriptorSet);
        try
        {
            return await registrar.RegisterAsync(subject, candidate, request.OwnerTeam, Caller.Of(context).Principal, context.CancellationToken);
        }
        catch (IncompatibleVersionException e)
        {
            throw RefusalStatus.Of(e);
        }
    }

    /// <inheritdoc />
    public override async Task<CheckCompatibilityResponse> CheckCompatibility(CheckCompatibilityRequest request, ServerCallContext context)
    {
        var assessment = await registrar.AssessAsync(ResourceNames.Subject(request.Parent, "parent"), ParseCandidate(request.FileDescriptorSet), context.CancellationToken);
        return new CheckCompatibilityResponse
        {
            Compatible = assessment.Compatible,
            Violations = { assessment.Violations },
            ComparedVersions = { assessment.ComparedVersions },
            Compatibility = assessment.Policy.Mode,
            RuleCategory = assessment.Policy.Category,
            IdenticalVersion = assessment.IdenticalVersion,
        };
    }

    /// <inheritdoc />
    public override async Task<SchemaVersion> GetSchemaVersion(GetSchemaVersionRequest request, ServerCallContext context)
    {
        var (subject, number) = ResourceNames.Version(request.Name, "name");
        return await catalog.VersionAsync(subject, number);
    }

    /// <inheritdoc />
    public override async Task<SchemaVersion> GetSchema(GetSchemaRequest request, ServerCallContext context) =>
        request.SchemaId > 0
            ? await catalog.SchemaAsync(request.SchemaId)
            : throw ResourceErrors.Invalid($"schema_id must be positive (got {request.SchemaId})");

    /// <inheritdoc />
    public override async Task<ListSchemaVersionsResponse> ListSchemaVersions(ListSchemaVersionsRequest request, ServerCallContext context)
    {
        var subject = ResourceNames.Subject(request.Parent, "parent");
        // The cursor is the last version number returned.
        var cursor = PageTokens.Decode(request.PageToken, c => int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out _));
        var (page, more) = await catalog.VersionsAsync(
            subject, cursor.Length == 0 ? 0 : int.Parse(cursor, CultureInfo.InvariantCulture), Paging.Size(request.PageSize), request.ShowDeleted);
        return new ListSchemaVersionsResponse
        {
            SchemaVersions = { page },
            NextPageToken = more ? PageTokens.Encode(page[^1].Version.ToString(CultureInfo.InvariantCulture)) : "",
        };
    }

    /// <inheritdoc />
    public override async Task<Empty> DeleteSchemaVersion(DeleteSchemaVersionRequest request, ServerCallContext context)
    {
        var (subject, number) = ResourceNames.Version(request.Name, "name");
        await registrar.DeleteAsync(
            subject, number ?? throw ResourceErrors.Invalid("name must name a version number; 'latest' cannot be deleted by alias"), Caller.Of(context).Principal, context.CancellationToken);
        return new Empty();
    }

    /// <inheritdoc />
    public override async Task<Subject> GetSubject(GetSubjectRequest request, ServerCallContext context) =>
        await catalog.SubjectAsync(ResourceNames.Subject(request.Name, "name"));

    /// <inheritdoc />
    public override async Task<ListSubjectsResponse> ListSubjects(ListSubjectsRequest request, ServerCallContext context)
    {
        // Not Paging.PageAsync: subject ids are not AIP-122 ids, and Redis ranges its sorted set of names itself.
        var (page, more) = await catalog.SubjectsAsync(
            PageTokens.Decode(request.PageToken, ResourceNames.IsSubjectId), Paging.Size(request.PageSize));
        return new ListSubjectsResponse { Subjects = { page }, NextPageToken = more ? PageTokens.Encode(ResourceNames.Subject(page[^1].Name, "name")) : "" };
    }

    /// <inheritdoc />
    public override async Task<Subject> UpdateSubject(UpdateSubjectRequest request, ServerCallContext context)
    {
        var change = request.Subject ?? throw ResourceErrors.Invalid("subject is required");
        var subject = ResourceNames.Subject(change.Name, "subject.name");
        var paths = UpdateMasks.Paths(request.UpdateMask, SubjectRules.SubjectPaths);
        return await settings.UpdateSubjectAsync(subject, change, paths, Caller.Of(context).Principal, context.CancellationToken);
    }

    /// <inheritdoc />
    public override Task<RegistryConfig> GetRegistryConfig(GetRegistryConfigRequest request, ServerCallContext context) => settings.ConfigAsync();

    /// <inheritdoc />
    public override Task<RegistryConfig> UpdateRegistryConfig(UpdateRegistryConfigRequest request, ServerCallContext context)
    {
        var change = request.Config ?? throw ResourceErrors.Invalid("config is required");
        return settings.UpdateConfigAsync(change, UpdateMasks.Paths(request.UpdateMask, SubjectRules.ConfigPaths), Caller.Of(context).Principal);
    }

    /// <inheritdoc />
    public override async Task<ListAuditEntriesResponse> ListAuditEntries(ListAuditEntriesRequest request, ServerCallContext context)
    {
        var subject = request.Subject.Length == 0 ? "" : ResourceNames.Subject(request.Subject, "subject");
        var (page, more) = await catalog.AuditAsync(PageTokens.Decode(request.PageToken, RedisRegistryStore.IsAuditCursor), Paging.Size(request.PageSize), subject);
        return new ListAuditEntriesResponse { AuditEntries = { page }, NextPageToken = more ? PageTokens.Encode(page[^1].Id) : "" };
    }

    private Candidate ParseCandidate(ByteString bytes)
    {
        var max = options.Value.MaxDescriptorSetBytes;
        return bytes.Length > max
            ? throw new RpcException(new Status(StatusCode.ResourceExhausted, $"file_descriptor_set is {bytes.Length} bytes; the limit is {max}"))
            : Candidate.Parse(bytes);
    }
}
