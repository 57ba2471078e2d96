using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Mesh.Registry.Compatibility;
using Mesh.Registry.Security;
using Mesh.Registry.Storage;
using Microsoft.Extensions.Options;
using Status = Grpc.Core.Status;

namespace Mesh.Registry.Grpc;

/// <summary>The gRPC face of the registry: validation, verdicts, storage and audit.</summary>
public sealed class RegistryGrpcService(
    RedisRegistryStore store,
    CompatibilityChecker checker,
    SubjectLocks locks,
    IOptions<RegistryOptions> options,
    TimeProvider clock,
    ILogger<RegistryGrpcService> logger) : RegistryService.RegistryServiceBase
{
    private const int MaxWriteAttempts = 5;
    private const int MaxDetailedViolations = 100;

    /// <inheritdoc />
    public override Task<SchemaVersion> CreateSchemaVersion(CreateSchemaVersionRequest request, ServerCallContext context) =>
        AuditRefusalsAsync(context, nameof(CreateSchemaVersion), request.Parent, () => CreateSchemaVersionCoreAsync(request, context));

    private async Task<SchemaVersion> CreateSchemaVersionCoreAsync(CreateSchemaVersionRequest request, ServerCallContext context)
    {
        var subject = ResourceNames.Subject(request.Parent, "parent");
        var candidate = ParseCandidate(request.FileDescriptorSet);
        var caller = Caller.Of(context);
        using var held = await locks.AcquireAsync(subject, context.CancellationToken);

        for (var attempt = 0; attempt < MaxWriteAttempts; attempt++)
        {
            var revisions = await store.GetRevisionsAsync(subject);
            var settings = await store.GetSubjectAsync(subject);
            var (count, versions) = await store.GetVersionsAsync(subject);
            var identical = versions.FirstOrDefault(v => !v.Metadata.Deleted && v.Metadata.Fingerprint == candidate.Fingerprint);
            if (identical is not null)
            {
                await AuditAsync(caller, "CreateSchemaVersion", subject, identical.Metadata.Version, "UNCHANGED", "identical content is already this version");
                return await WithContentAsync(identical.Metadata);
            }

            if (settings?.State == LifecycleState.Disabled)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition, $"subjects/{subject} is DISABLED and accepts no new versions"));
            }

            var owner = FirstNonEmpty(request.OwnerTeam, settings?.OwnerTeam, candidate.DeclaredOwner());
            if (owner is null)
            {
                throw new RpcException(new Status(StatusCode.FailedPrecondition,
                    $"MESH_OWNER_REQUIRED: subjects/{subject} has no owner; set owner_team or option (mesh.options.v1.file_owner) in its files"));
            }

            var policy = await EffectivePolicyAsync(settings);
            var verdict = await checker.CheckAsync(candidate, await LiveAsync(versions), policy, context.CancellationToken);
            if (!verdict.Compatible)
            {
                throw Refusal(subject, policy, verdict);
            }

            var now = Timestamp.FromDateTimeOffset(clock.GetUtcNow());
            var metadata = new SchemaVersion { Fingerprint = candidate.Fingerprint, CreatePrincipal = caller.Principal, CreateTime = now };
            var newSubject = new Subject
            {
                Name = ResourceNames.OfSubject(subject), OwnerTeam = owner, State = LifecycleState.Active, CreateTime = now, UpdateTime = now,
            };
            var audit = Audit(caller, "CreateSchemaVersion", subject, count + 1, "ACCEPTED",
                $"compared with versions [{string.Join(',', verdict.ComparedVersions)}] under {policy.Mode} / {policy.Category}");
            var (outcome, version, schemaId) = await store.AppendVersionAsync(
                subject, revisions, count, candidate.Fingerprint, candidate.DescriptorSet, metadata, candidate.OwnFiles, newSubject, audit);
            if (outcome == AppendOutcome.Conflict)
            {
                logger.LogInformation("Registration to {Subject} raced another writer; checking again", subject);
                continue;
            }

            metadata.Name = $"subjects/{subject}/versions/{version}";
            metadata.Version = version;
            metadata.SchemaId = schemaId;
            metadata.FileDescriptorSet = candidate.DescriptorSet;
            return metadata;
        }

        throw new RpcException(new Status(StatusCode.Aborted, $"subjects/{subject} kept changing during registration; retry"));
    }

    /// <inheritdoc />
    public override async Task<CheckCompatibilityResponse> CheckCompatibility(CheckCompatibilityRequest request, ServerCallContext context)
    {
        var subject = ResourceNames.Subject(request.Parent, "parent");
        var candidate = ParseCandidate(request.FileDescriptorSet);
        var settings = await store.GetSubjectAsync(subject);
        var (_, versions) = await store.GetVersionsAsync(subject);
        var policy = await EffectivePolicyAsync(settings);
        var identical = versions.FirstOrDefault(v => !v.Metadata.Deleted && v.Metadata.Fingerprint == candidate.Fingerprint);
        var verdict = await checker.CheckAsync(candidate, await LiveAsync(versions), policy, context.CancellationToken);
        var disabled = settings?.State == LifecycleState.Disabled;
        var response = new CheckCompatibilityResponse
        {
            Compatible = verdict.Compatible && !disabled,
            Violations = { verdict.Violations },
            ComparedVersions = { verdict.ComparedVersions },
            Compatibility = policy.Mode,
            RuleCategory = policy.Category,
            IdenticalVersion = identical?.Metadata.Version ?? 0,
        };
        if (disabled)
        {
            // Said, not only implied by compatible=false, so a CI check prints why registration would be refused.
            response.Violations.Add(new Violation { Rule = "MESH_SUBJECT_DISABLED", Kind = "governance", Message = $"subjects/{subject} is DISABLED and accepts no new versions" });
        }

        return response;
    }

    /// <inheritdoc />
    public override async Task<SchemaVersion> GetSchemaVersion(GetSchemaVersionRequest request, ServerCallContext context)
    {
        var (subject, number) = ResourceNames.Version(request.Name, "name");
        var (_, versions) = await store.GetVersionsAsync(subject);
        if (versions.Count == 0)
        {
            throw NotFound($"subjects/{subject} does not exist");
        }

        var found = number is null
            ? versions.LastOrDefault(v => !v.Metadata.Deleted) ?? throw NotFound($"subjects/{subject} has no version that is not deleted")
            : versions.FirstOrDefault(v => v.Metadata.Version == number) ?? throw NotFound($"{request.Name} does not exist; subjects/{subject} has versions 1 to {versions.Count}");
        return await WithContentAsync(found.Metadata);
    }

    /// <inheritdoc />
    public override async Task<SchemaVersion> GetSchema(GetSchemaRequest request, ServerCallContext context)
    {
        if (request.SchemaId <= 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"schema_id must be positive (got {request.SchemaId})"));
        }

        return await LoadContentAsync(request.SchemaId);
    }

    /// <inheritdoc />
    public override async Task<ListSchemaVersionsResponse> ListSchemaVersions(ListSchemaVersionsRequest request, ServerCallContext context)
    {
        var subject = ResourceNames.Subject(request.Parent, "parent");
        var size = Paging.Size(request.PageSize);
        // The cursor is the last version number returned, so deletes between pages skip nothing.
        var after = Paging.Offset(request.PageToken);
        var (_, versions) = await store.GetVersionsAsync(subject);
        if (versions.Count == 0)
        {
            throw NotFound($"subjects/{subject} does not exist");
        }

        var remaining = versions.Where(v => v.Metadata.Version > after && (request.ShowDeleted || !v.Metadata.Deleted)).Select(v => v.Metadata).ToList();
        var page = remaining.Take(size).ToList();
        return new ListSchemaVersionsResponse
        {
            SchemaVersions = { page },
            NextPageToken = remaining.Count > size ? Paging.Token(page[^1].Version.ToString(CultureInfo.InvariantCulture)) : "",
        };
    }

    /// <inheritdoc />
    public override Task<Empty> DeleteSchemaVersion(DeleteSchemaVersionRequest request, ServerCallContext context) =>
        AuditRefusalsAsync(context, nameof(DeleteSchemaVersion), request.Name, async () =>
        {
            var (subject, number) = ResourceNames.Version(request.Name, "name");
            if (number is null)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "name must name a version number; 'latest' cannot be deleted by alias"));
            }

            using var held = await locks.AcquireAsync(subject, context.CancellationToken);
            await WriteWithRetriesAsync(subject, async revisions =>
            {
                var (_, versions) = await store.GetVersionsAsync(subject);
                var found = versions.FirstOrDefault(v => v.Metadata.Version == number && !v.Metadata.Deleted)
                    ?? throw NotFound($"{request.Name} does not exist or is already deleted");
                found.Metadata.Deleted = true;
                return await store.SaveVersionAsync(subject, revisions, found.Metadata, Audit(Caller.Of(context), nameof(DeleteSchemaVersion), subject, number.Value, "ACCEPTED", "soft-deleted"));
            });
            return new Empty();
        });

    /// <inheritdoc />
    public override async Task<Subject> GetSubject(GetSubjectRequest request, ServerCallContext context) =>
        await LoadSubjectAsync(ResourceNames.Subject(request.Name, "name"));

    /// <inheritdoc />
    public override async Task<ListSubjectsResponse> ListSubjects(ListSubjectsRequest request, ServerCallContext context)
    {
        var size = Paging.Size(request.PageSize);
        var names = await store.ListSubjectsAsync(Paging.Cursor(request.PageToken), size + 1);
        var response = new ListSubjectsResponse();
        foreach (var name in names.Take(size))
        {
            response.Subjects.Add(await LoadSubjectAsync(name));
        }

        response.NextPageToken = names.Count > size ? Paging.Token(names[size - 1]) : "";
        return response;
    }

    /// <inheritdoc />
    public override Task<Subject> UpdateSubject(UpdateSubjectRequest request, ServerCallContext context) =>
        AuditRefusalsAsync(context, nameof(UpdateSubject), request.Subject?.Name ?? "", async () =>
        {
            if (request.Subject is null)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "subject is required"));
            }

            var subject = ResourceNames.Subject(request.Subject.Name, "subject.name");
            var paths = MaskPaths(request.UpdateMask, "compatibility", "rule_category", "lint", "owner_team", "state");
            using var held = await locks.AcquireAsync(subject, context.CancellationToken);
            await WriteWithRetriesAsync(subject, async revisions =>
            {
                var current = await store.GetSubjectAsync(subject) ?? throw NotFound($"subjects/{subject} does not exist; register a version first");
                foreach (var path in paths)
                {
                    switch (path)
                    {
                        case "compatibility": current.Compatibility = request.Subject.Compatibility; break;
                        case "rule_category": current.RuleCategory = request.Subject.RuleCategory; break;
                        case "lint": current.Lint = request.Subject.Lint; break;
                        case "owner_team": current.OwnerTeam = RequireNonEmpty(request.Subject.OwnerTeam, "subject.owner_team"); break;
                        case "state": current.State = request.Subject.State == LifecycleState.Unspecified ? LifecycleState.Active : request.Subject.State; break;
                    }
                }

                current.UpdateTime = Timestamp.FromDateTimeOffset(clock.GetUtcNow());
                return await store.SaveSubjectAsync(subject, revisions, current, Audit(Caller.Of(context), nameof(UpdateSubject), subject, 0, "ACCEPTED", $"updated {string.Join(',', paths)}"));
            });
            return await LoadSubjectAsync(subject);
        });

    /// <inheritdoc />
    public override async Task<RegistryConfig> GetRegistryConfig(GetRegistryConfigRequest request, ServerCallContext context) =>
        await EffectiveConfigAsync();

    /// <inheritdoc />
    public override Task<RegistryConfig> UpdateRegistryConfig(UpdateRegistryConfigRequest request, ServerCallContext context) =>
        AuditRefusalsAsync(context, nameof(UpdateRegistryConfig), "", async () =>
        {
            if (request.Config is null)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "config is required"));
            }

            var paths = MaskPaths(request.UpdateMask, "compatibility", "rule_category", "lint");
            RegistryConfig config = null!;
            await WriteWithRetriesAsync("", async revisions =>
            {
                config = await EffectiveConfigAsync();
                foreach (var path in paths)
                {
                    switch (path)
                    {
                        case "compatibility":
                            config.Compatibility = request.Config.Compatibility != CompatibilityMode.Unspecified ? request.Config.Compatibility
                                : throw new RpcException(new Status(StatusCode.InvalidArgument, "config.compatibility cannot be UNSPECIFIED for the registry default"));
                            break;
                        case "rule_category":
                            config.RuleCategory = request.Config.RuleCategory != RuleCategory.Unspecified ? request.Config.RuleCategory
                                : throw new RpcException(new Status(StatusCode.InvalidArgument, "config.rule_category cannot be UNSPECIFIED for the registry default"));
                            break;
                        case "lint": config.Lint = request.Config.Lint ?? new LintPolicy(); break;
                    }
                }

                return await store.SaveConfigAsync(revisions, config, Audit(Caller.Of(context), nameof(UpdateRegistryConfig), "", 0, "ACCEPTED", $"updated {string.Join(',', paths)}"));
            });
            return config;
        });

    /// <inheritdoc />
    public override async Task<ListAuditEntriesResponse> ListAuditEntries(ListAuditEntriesRequest request, ServerCallContext context)
    {
        var filter = request.Subject.Length == 0 ? "" : ResourceNames.OfSubject(ResourceNames.Subject(request.Subject, "subject"));
        var size = Paging.Size(request.PageSize);
        var cursor = Paging.StreamCursor(request.PageToken);
        var entries = await store.ListAuditAsync(cursor.Length == 0 ? null : cursor, size + 1, e => filter.Length == 0 || e.Subject == filter);
        foreach (var entry in entries)
        {
            entry.Time = RedisRegistryStore.TimeOfStreamId(entry.Id);
        }

        return new ListAuditEntriesResponse
        {
            AuditEntries = { entries.Take(size) },
            NextPageToken = entries.Count > size ? Paging.Token(entries[size - 1].Id) : "",
        };
    }

    // Settings writes are compare-and-write on the subject's (or the defaults') revision: a concurrent change
    // makes the write fail, and it is redone on fresh data, so no update is lost.
    private async Task WriteWithRetriesAsync(string subject, Func<Revisions, Task<bool>> write)
    {
        for (var attempt = 0; attempt < MaxWriteAttempts; attempt++)
        {
            if (await write(await store.GetRevisionsAsync(subject)))
            {
                return;
            }
        }

        throw new RpcException(new Status(StatusCode.Aborted, $"{(subject.Length == 0 ? "the registry config" : $"subjects/{subject}")} kept changing; retry"));
    }

    // Every refused write is in the audit log with the status it got; accepted changes are audited atomically
    // with the change itself.
    private async Task<T> AuditRefusalsAsync<T>(ServerCallContext context, string action, string name, Func<Task<T>> write)
    {
        try
        {
            return await write();
        }
        catch (RpcException e)
        {
            var subject = name.StartsWith("subjects/", StringComparison.Ordinal) ? name.Split('/')[1] : "";
            await AuditAsync(Caller.Of(context), action, subject.Length <= 200 ? subject : "", 0, "REFUSED", $"{e.StatusCode}: {e.Status.Detail}");
            throw;
        }
    }

    private Candidate ParseCandidate(ByteString bytes)
    {
        var max = options.Value.MaxDescriptorSetBytes;
        return bytes.Length > max
            ? throw new RpcException(new Status(StatusCode.ResourceExhausted, $"file_descriptor_set is {bytes.Length} bytes; the limit is {max}"))
            : Candidate.Parse(bytes);
    }

    private async Task<Subject> LoadSubjectAsync(string subject)
    {
        var settings = await store.GetSubjectAsync(subject) ?? throw NotFound($"subjects/{subject} does not exist");
        var (_, versions) = await store.GetVersionsAsync(subject);
        settings.LatestVersion = versions.LastOrDefault(v => !v.Metadata.Deleted)?.Metadata.Version ?? 0;
        return settings;
    }

    private async Task<List<(StoredVersion Version, ByteString DescriptorSet)>> LiveAsync(IReadOnlyList<StoredVersion> versions)
    {
        var live = new List<(StoredVersion, ByteString)>();
        foreach (var version in versions.Where(v => !v.Metadata.Deleted))
        {
            var content = await store.GetSchemaAsync(version.Metadata.SchemaId)
                ?? throw new RpcException(new Status(StatusCode.DataLoss, $"content of schema id {version.Metadata.SchemaId} is missing"));
            live.Add((version, content.DescriptorSet));
        }

        return live;
    }

    private async Task<SchemaVersion> LoadContentAsync(long schemaId)
    {
        var content = await store.GetSchemaAsync(schemaId) ?? throw NotFound($"schema_id {schemaId} does not exist");
        return new SchemaVersion { SchemaId = schemaId, Fingerprint = content.Fingerprint, FileDescriptorSet = content.DescriptorSet };
    }

    private async Task<SchemaVersion> WithContentAsync(SchemaVersion metadata)
    {
        var content = await LoadContentAsync(metadata.SchemaId);
        var copy = metadata.Clone();
        copy.FileDescriptorSet = content.FileDescriptorSet;
        return copy;
    }

    private async Task<RegistryConfig> EffectiveConfigAsync()
    {
        var defaults = options.Value.Defaults;
        return await store.GetConfigAsync() ?? new RegistryConfig
        {
            Name = "config",
            Compatibility = defaults.Compatibility,
            RuleCategory = defaults.RuleCategory,
            Lint = new LintPolicy { Enabled = defaults.LintEnabled, Use = { defaults.LintUse }, Except = { defaults.LintExcept } },
        };
    }

    private async Task<EffectivePolicy> EffectivePolicyAsync(Subject? subject)
    {
        var config = await EffectiveConfigAsync();
        return new EffectivePolicy(
            subject is { Compatibility: not CompatibilityMode.Unspecified } ? subject.Compatibility : config.Compatibility,
            subject is { RuleCategory: not RuleCategory.Unspecified } ? subject.RuleCategory : config.RuleCategory,
            subject?.Lint ?? config.Lint ?? new LintPolicy());
    }

    private static RpcException Refusal(string subject, EffectivePolicy policy, Verdict verdict)
    {
        var failure = new PreconditionFailure();
        failure.Violations.AddRange(verdict.Violations.Take(MaxDetailedViolations).Select(v => new PreconditionFailure.Types.Violation
        {
            Type = v.Rule,
            Subject = v.StartLine > 0 ? $"{v.Path}:{v.StartLine}:{v.StartColumn}" : v.Path,
            Description = v.Message,
        }));
        var status = new Google.Rpc.Status
        {
            Code = (int)Code.FailedPrecondition,
            Message = $"the version is not compatible with subjects/{subject} under {policy.Mode} / {policy.Category}: {Summary(verdict.Violations)}",
            Details = { Any.Pack(failure) },
        };
        return status.ToRpcException();
    }

    private static string Summary(IReadOnlyList<Violation> violations) =>
        string.Join("; ", violations.Take(10).Select(v => $"{v.Rule} ({v.Kind}{(v.AgainstVersion > 0 ? $" v{v.AgainstVersion}" : "")}) {v.Path}:{v.StartLine}: {v.Message}"))
        + (violations.Count > 10 ? $"; and {violations.Count - 10} more" : "");

    private static List<string> MaskPaths(FieldMask? mask, params string[] allowed)
    {
        if (mask is null || mask.Paths.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"update_mask is required; allowed paths: {string.Join(", ", allowed)}"));
        }

        var unknown = mask.Paths.FirstOrDefault(p => !allowed.Contains(p));
        return unknown is null
            ? [.. mask.Paths]
            : throw new RpcException(new Status(StatusCode.InvalidArgument, $"update_mask path '{unknown}' cannot be updated; allowed paths: {string.Join(", ", allowed)}"));
    }

    private static string RequireNonEmpty(string value, string field) =>
        value.Length > 0 ? value : throw new RpcException(new Status(StatusCode.InvalidArgument, $"{field} must not be empty"));

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrEmpty(v));

    private static RpcException NotFound(string message) => new(new Status(StatusCode.NotFound, message));

    private AuditEntry Audit(Caller caller, string action, string subject, int version, string verdict, string detail) => new()
    {
        Principal = caller.Principal,
        Action = action,
        Subject = subject.Length == 0 ? "" : ResourceNames.OfSubject(subject),
        Version = version,
        Verdict = verdict,
        Detail = detail,
    };

    private Task AuditAsync(Caller caller, string action, string subject, int version, string verdict, string detail) =>
        store.AppendAuditAsync(Audit(caller, action, subject, version, verdict, detail));
}
