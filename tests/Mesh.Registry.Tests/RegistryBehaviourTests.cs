using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Registry.V1;
using Mesh.Testing;

namespace Mesh.Registry.Tests;

[Collection(RegistryCollection.Name)]
public sealed class RegistryBehaviourTests(RegistryFixture fixture)
{
    private const string Order = "message Order {\n  string id = 1;\n}";

    private RegistryService.RegistryServiceClient Client => fixture.Registry.Client;

    [Fact]
    public async Task IdenticalContent_ReRegistered_ReturnsTheSameVersionAndId()
    {
        var subject = NewSubject();
        var other = NewSubject();
        var set = await ProtoSources.MessageAsync(Order);

        var first = await RegisterAsync(subject, set);
        var again = await RegisterAsync(subject, set);
        var elsewhere = await RegisterAsync(other, set);
        var byId = await Client.GetSchemaAsync(new GetSchemaRequest { SchemaId = first.SchemaId }, RegistryHost.Reader);

        Assert.Equal(1, again.Version);
        Assert.Equal(first.SchemaId, again.SchemaId);
        Assert.Equal(first.SchemaId, elsewhere.SchemaId);
        Assert.Equal(1, elsewhere.Version);
        Assert.Equal(first.Fingerprint, byId.Fingerprint);
        Assert.Equal(first.FileDescriptorSet, byId.FileDescriptorSet);
    }

    [Fact]
    public async Task ConcurrentRegistrations_OfDifferentContent_GetDistinctConsecutiveVersions()
    {
        var subject = NewSubject();
        await RegisterAsync(subject, await ProtoSources.MessageAsync(Order));
        await Client.UpdateSubjectAsync(
            new UpdateSubjectRequest { Subject = new Subject { Name = subject, Compatibility = CompatibilityMode.None }, UpdateMask = new FieldMask { Paths = { "compatibility" } } },
            RegistryHost.Architect);
        var sets = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => ProtoSources.MessageAsync($"message Order{i} {{\n  string id = 1;\n}}")));

        var versions = await Task.WhenAll(sets.Select(set => RegisterAsync(subject, set)));
        var identical = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => RegisterAsync(subject, sets[0])));

        Assert.Equal(Enumerable.Range(2, 8), versions.Select(v => v.Version).Order());
        Assert.Equal(8, versions.Select(v => v.SchemaId).Distinct().Count());
        Assert.All(identical, v => Assert.Equal(versions[0].Version, v.Version));
        var listed = await Client.ListSchemaVersionsAsync(new ListSchemaVersionsRequest { Parent = subject }, RegistryHost.Reader);
        Assert.Equal(Enumerable.Range(1, 9), listed.SchemaVersions.Select(v => v.Version));
    }

    [Fact]
    public async Task Restart_KeepsSubjectsIdsAndConfig()
    {
        await using var redis = await RedisServer.StartAsync(appendOnly: true);
        SchemaVersion registered;
        await using (var first = await RegistryHost.StartAsync(redis.ConnectionString))
        {
            registered = await first.Client.CreateSchemaVersionAsync(
                new CreateSchemaVersionRequest { Parent = "subjects/acme.orders.v1", FileDescriptorSet = await ProtoSources.MessageAsync(Order), OwnerTeam = "orders" },
                RegistryHost.Architect);
            await first.Client.UpdateRegistryConfigAsync(
                new UpdateRegistryConfigRequest { Config = new RegistryConfig { Compatibility = CompatibilityMode.FullTransitive }, UpdateMask = new FieldMask { Paths = { "compatibility" } } },
                RegistryHost.Architect);
        }

        await using var second = await RegistryHost.StartAsync(redis.ConnectionString);
        var latest = await second.Client.GetSchemaVersionAsync(new GetSchemaVersionRequest { Name = "subjects/acme.orders.v1/versions/latest" }, RegistryHost.Reader);
        var config = await second.Client.GetRegistryConfigAsync(new GetRegistryConfigRequest(), RegistryHost.Reader);
        var next = await second.Client.CreateSchemaVersionAsync(
            new CreateSchemaVersionRequest { Parent = "subjects/acme.other.v1", FileDescriptorSet = await ProtoSources.MessageAsync("message Other {\n  string id = 1;\n}", "acme.other.v1"), OwnerTeam = "other" },
            RegistryHost.Architect);

        Assert.Equal(registered.SchemaId, latest.SchemaId);
        Assert.Equal(registered.FileDescriptorSet, latest.FileDescriptorSet);
        Assert.Equal(CompatibilityMode.FullTransitive, config.Compatibility);
        Assert.Equal(registered.SchemaId + 1, next.SchemaId);
        var subject = await second.Client.GetSubjectAsync(new GetSubjectRequest { Name = "subjects/acme.orders.v1" }, RegistryHost.Reader);
        Assert.Equal("orders", subject.OwnerTeam);
    }

    [Fact]
    public async Task Roles_AreEnforced()
    {
        var subject = NewSubject();
        var request = new CreateSchemaVersionRequest { Parent = subject, FileDescriptorSet = await ProtoSources.MessageAsync(Order), OwnerTeam = "t" };

        var anonymous = await Assert.ThrowsAsync<RpcException>(() => Client.CreateSchemaVersionAsync(request).ResponseAsync);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => Client.ListSubjectsAsync(new ListSubjectsRequest(), new Metadata { { "authorization", "Bearer nope" } }).ResponseAsync);
        var reader = await Assert.ThrowsAsync<RpcException>(() => Client.CreateSchemaVersionAsync(request, RegistryHost.Reader).ResponseAsync);
        var readerConfig = await Assert.ThrowsAsync<RpcException>(() => Client.UpdateRegistryConfigAsync(
            new UpdateRegistryConfigRequest { Config = new RegistryConfig(), UpdateMask = new FieldMask { Paths = { "lint" } } }, RegistryHost.Reader).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, anonymous.StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, unknown.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, reader.StatusCode);
        Assert.Contains("architect", reader.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.PermissionDenied, readerConfig.StatusCode);
        var missing = await Assert.ThrowsAsync<RpcException>(() => Client.GetSubjectAsync(new GetSubjectRequest { Name = subject }, RegistryHost.Reader).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task BadInput_GetsPreciseStatusAndMessage()
    {
        var subject = NewSubject();
        var missingImport = new Google.Protobuf.Reflection.FileDescriptorSet
        {
            File = { new Google.Protobuf.Reflection.FileDescriptorProto { Name = "a/v1/a.proto", Package = "a.v1", Dependency = { "b/v1/b.proto" } } },
        };

        var malformed = await Error(() => RegisterAsync(subject, ByteString.CopyFromUtf8("definitely not protobuf")));
        var noImport = await Error(() => RegisterAsync(subject, missingImport.ToByteString()));
        var empty = await Error(() => RegisterAsync(subject, ByteString.Empty));
        var oversized = await Error(() => RegisterAsync(subject, ByteString.CopyFrom(new byte[2 * 1024 * 1024])));
        var badName = await Error(() => Client.GetSubjectAsync(new GetSubjectRequest { Name = "topics/x" }, RegistryHost.Reader).ResponseAsync);
        var unknownSubject = await Error(() => Client.GetSchemaVersionAsync(new GetSchemaVersionRequest { Name = $"{NewSubject()}/versions/1" }, RegistryHost.Reader).ResponseAsync);
        var unknownId = await Error(() => Client.GetSchemaAsync(new GetSchemaRequest { SchemaId = 999_999 }, RegistryHost.Reader).ResponseAsync);
        await RegisterAsync(subject, await ProtoSources.MessageAsync(Order));
        var unknownVersion = await Error(() => Client.GetSchemaVersionAsync(new GetSchemaVersionRequest { Name = $"{subject}/versions/7" }, RegistryHost.Reader).ResponseAsync);
        var badMask = await Error(() => Client.UpdateSubjectAsync(
            new UpdateSubjectRequest { Subject = new Subject { Name = subject }, UpdateMask = new FieldMask { Paths = { "latest_version" } } }, RegistryHost.Architect).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, true), (malformed.StatusCode, malformed.Status.Detail.Contains("not a serialized google.protobuf.FileDescriptorSet", StringComparison.Ordinal)));
        Assert.Equal(StatusCode.InvalidArgument, noImport.StatusCode);
        Assert.Contains("'a/v1/a.proto' imports 'b/v1/b.proto'", noImport.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
        Assert.Equal(StatusCode.ResourceExhausted, oversized.StatusCode);
        Assert.Contains("limit", oversized.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, badName.StatusCode);
        Assert.Contains("name 'topics/x'", badName.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, unknownSubject.StatusCode);
        Assert.Equal(StatusCode.NotFound, unknownId.StatusCode);
        Assert.Equal(StatusCode.NotFound, unknownVersion.StatusCode);
        Assert.Contains("versions 1 to 1", unknownVersion.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, badMask.StatusCode);
        Assert.Contains("latest_version", badMask.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Lint_RefusesUnlintedContentUnlessDisabledForTheSubject()
    {
        var subject = NewSubject();
        var unlinted = await ProtoSources.MessageAsync("enum Color {\n  RED = 0;\n}\nmessage Order {\n  string id = 1;\n}");

        var refused = await Error(() => RegisterAsync(subject, unlinted));
        await RegisterAsync(subject, await ProtoSources.MessageAsync(Order));
        await Client.UpdateSubjectAsync(
            new UpdateSubjectRequest { Subject = new Subject { Name = subject, Lint = new LintPolicy { Enabled = false } }, UpdateMask = new FieldMask { Paths = { "lint" } } },
            RegistryHost.Architect);
        var accepted = await RegisterAsync(subject, unlinted);

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("ENUM_ZERO_VALUE_SUFFIX", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(2, accepted.Version);
    }

    [Fact]
    public async Task Governance_EventWithoutTaxonomy_IsRefusedAndAudited()
    {
        var subject = NewSubject();
        var root = ProtoSources.RepositoryRoot;
        var options = await File.ReadAllTextAsync(Path.Combine(root, "proto/mesh/options/v1/options.proto"));
        var events = await ProtoSources.BuildAsync(new Dictionary<string, string>
        {
            ["mesh/options/v1/options.proto"] = options,
            ["acme/orders/v1/orders_events.proto"] =
                "syntax = \"proto3\";\n\npackage acme.orders.v1;\n\nimport \"mesh/options/v1/options.proto\";\n\n" +
                "message OrderPlaced {\n  option (mesh.options.v1.event) = {\n    domain: \"orders\"\n    entity: \"order\"\n    action: \"placed\"\n  };\n  string id = 1;\n}\n" +
                "message OrderShipped {\n  string id = 1;\n}\n",
        });

        var refused = await Error(() => RegisterAsync(subject, events));
        var audit = await Client.ListAuditEntriesAsync(new ListAuditEntriesRequest { Subject = subject }, RegistryHost.Reader);

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("MESH_EVENT_TAXONOMY_REQUIRED", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("acme.orders.v1.OrderShipped", refused.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("OrderPlaced", refused.Status.Detail, StringComparison.Ordinal);
        var entry = Assert.Single(audit.AuditEntries);
        Assert.Equal(("REFUSED", "alice-architect", "CreateSchemaVersion"), (entry.Verdict, entry.Principal, entry.Action));
        Assert.Contains("MESH_EVENT_TAXONOMY_REQUIRED", entry.Detail, StringComparison.Ordinal);
        Assert.NotNull(entry.Time);
    }

    [Fact]
    public async Task Lifecycle_DisabledSubjectRefusesVersions_SoftDeletedVersionIsSkipped()
    {
        var subject = NewSubject();
        await RegisterAsync(subject, await ProtoSources.MessageAsync(Order));
        await RegisterAsync(subject, await ProtoSources.MessageAsync("message Order {\n  string id = 1;\n  string note = 2;\n}"));

        await Client.DeleteSchemaVersionAsync(new DeleteSchemaVersionRequest { Name = $"{subject}/versions/2" }, RegistryHost.Architect);
        var latest = await Client.GetSchemaVersionAsync(new GetSchemaVersionRequest { Name = $"{subject}/versions/latest" }, RegistryHost.Reader);
        var deleted = await Client.GetSchemaVersionAsync(new GetSchemaVersionRequest { Name = $"{subject}/versions/2" }, RegistryHost.Reader);
        await Client.UpdateSubjectAsync(
            new UpdateSubjectRequest { Subject = new Subject { Name = subject, State = LifecycleState.Disabled }, UpdateMask = new FieldMask { Paths = { "state" } } },
            RegistryHost.Architect);
        var change = await ProtoSources.MessageAsync("message Order {\n  string id = 1;\n  int32 count = 3;\n}");
        var check = await Client.CheckCompatibilityAsync(new CheckCompatibilityRequest { Parent = subject, FileDescriptorSet = change }, RegistryHost.Reader);
        var disabled = await Error(() => RegisterAsync(subject, change));
        var audit = await Client.ListAuditEntriesAsync(new ListAuditEntriesRequest { Subject = subject }, RegistryHost.Reader);

        Assert.Equal(1, latest.Version);
        Assert.True(deleted.Deleted);
        Assert.Equal(StatusCode.FailedPrecondition, disabled.StatusCode);
        Assert.Contains("DISABLED", disabled.Status.Detail, StringComparison.Ordinal);
        Assert.False(check.Compatible);
        Assert.Equal("MESH_SUBJECT_DISABLED", Assert.Single(check.Violations).Rule);
        Assert.Equal(
            ["REFUSED", "ACCEPTED", "ACCEPTED", "ACCEPTED", "ACCEPTED"],
            audit.AuditEntries.Select(e => e.Verdict));
        Assert.Equal(["CreateSchemaVersion", "UpdateSubject", "DeleteSchemaVersion", "CreateSchemaVersion", "CreateSchemaVersion"], audit.AuditEntries.Select(e => e.Action));
    }

    [Fact]
    public async Task ConcurrentSettingsUpdates_NeitherIsLost()
    {
        for (var round = 0; round < 5; round++)
        {
            var subject = NewSubject();
            await RegisterAsync(subject, await ProtoSources.MessageAsync(Order));

            await Task.WhenAll(
                Client.UpdateSubjectAsync(new UpdateSubjectRequest { Subject = new Subject { Name = subject, OwnerTeam = $"team-{round}" }, UpdateMask = new FieldMask { Paths = { "owner_team" } } }, RegistryHost.Architect).ResponseAsync,
                Client.UpdateSubjectAsync(new UpdateSubjectRequest { Subject = new Subject { Name = subject, Compatibility = CompatibilityMode.Full }, UpdateMask = new FieldMask { Paths = { "compatibility" } } }, RegistryHost.Architect).ResponseAsync);
            var after = await Client.GetSubjectAsync(new GetSubjectRequest { Name = subject }, RegistryHost.Reader);

            Assert.Equal($"team-{round}", after.OwnerTeam);
            Assert.Equal(CompatibilityMode.Full, after.Compatibility);
        }
    }

    [Fact]
    public async Task RefusedWrites_AreAudited_WithPrincipalAndStatus()
    {
        var subject = NewSubject();
        var request = new CreateSchemaVersionRequest { Parent = subject, FileDescriptorSet = await ProtoSources.MessageAsync(Order), OwnerTeam = "t" };

        await Error(() => Client.CreateSchemaVersionAsync(request, RegistryHost.Reader).ResponseAsync);
        await Error(() => Client.CreateSchemaVersionAsync(new CreateSchemaVersionRequest { Parent = subject, FileDescriptorSet = ByteString.CopyFromUtf8("junk") }, RegistryHost.Architect).ResponseAsync);
        var audit = await Client.ListAuditEntriesAsync(new ListAuditEntriesRequest { PageSize = 50 }, RegistryHost.Reader);

        Assert.Contains(audit.AuditEntries, e => e.Verdict == "REFUSED" && e.Principal == "ci-reader" && e.Detail.StartsWith("PermissionDenied", StringComparison.Ordinal));
        Assert.Contains(audit.AuditEntries, e => e.Verdict == "REFUSED" && e.Subject == subject && e.Detail.StartsWith("InvalidArgument", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Paging_DeletesBetweenPages_SkipNothing()
    {
        var subject = NewSubject();
        await RegisterAsync(subject, await ProtoSources.MessageAsync(Order));
        await Client.UpdateSubjectAsync(new UpdateSubjectRequest { Subject = new Subject { Name = subject, Compatibility = CompatibilityMode.None }, UpdateMask = new FieldMask { Paths = { "compatibility" } } }, RegistryHost.Architect);
        await RegisterAsync(subject, await ProtoSources.MessageAsync("message Order2 {\n  string id = 1;\n}"));
        await RegisterAsync(subject, await ProtoSources.MessageAsync("message Order3 {\n  string id = 1;\n}"));

        var first = await Client.ListSchemaVersionsAsync(new ListSchemaVersionsRequest { Parent = subject, PageSize = 1 }, RegistryHost.Reader);
        await Client.DeleteSchemaVersionAsync(new DeleteSchemaVersionRequest { Name = $"{subject}/versions/1" }, RegistryHost.Architect);
        var second = await Client.ListSchemaVersionsAsync(new ListSchemaVersionsRequest { Parent = subject, PageSize = 1, PageToken = first.NextPageToken }, RegistryHost.Reader);
        var third = await Client.ListSchemaVersionsAsync(new ListSchemaVersionsRequest { Parent = subject, PageSize = 1, PageToken = second.NextPageToken }, RegistryHost.Reader);

        Assert.Equal([1, 2, 3], new[] { first, second, third }.Select(p => Assert.Single(p.SchemaVersions).Version));
        Assert.Equal("", third.NextPageToken);
    }

    [Fact]
    public async Task ForgedTokensAndNames_AreInvalidArgument()
    {
        var forged = await Error(() => Client.ListAuditEntriesAsync(new ListAuditEntriesRequest { PageToken = Convert.ToBase64String("not-a-stream-id"u8.ToArray()) }, RegistryHost.Reader).ResponseAsync);
        var newline = await Error(() => Client.GetSubjectAsync(new GetSubjectRequest { Name = "subjects/s1\n" }, RegistryHost.Reader).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, forged.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, newline.StatusCode);
    }

    private static string NewSubject() => $"subjects/acme.orders.v1-{Guid.NewGuid():N}";

    private async Task<SchemaVersion> RegisterAsync(string subject, ByteString set) =>
        await Client.CreateSchemaVersionAsync(new CreateSchemaVersionRequest { Parent = subject, FileDescriptorSet = set, OwnerTeam = "orders-team" }, RegistryHost.Architect);

    private static Task<RpcException> Error(Func<Task> action) => Assert.ThrowsAsync<RpcException>(action);
}

/// <summary>Two registry instances over one Redis: the Lua check keeps versions unique across processes.</summary>
public sealed class MultiInstanceTests
{
    [Fact]
    public async Task TwoInstances_RacingOnOneSubject_NeitherLoseNorDuplicateVersions()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await RegistryHost.StartAsync(redis.ConnectionString);
        await using var b = await RegistryHost.StartAsync(redis.ConnectionString);
        const string subject = "subjects/acme.race.v1";
        await a.Client.CreateSchemaVersionAsync(new CreateSchemaVersionRequest { Parent = subject, FileDescriptorSet = await ProtoSources.MessageAsync("message Race {\n  string id = 1;\n}", "acme.race.v1"), OwnerTeam = "r" }, RegistryHost.Architect);
        await a.Client.UpdateSubjectAsync(
            new UpdateSubjectRequest { Subject = new Subject { Name = subject, Compatibility = CompatibilityMode.None }, UpdateMask = new FieldMask { Paths = { "compatibility" } } },
            RegistryHost.Architect);
        var sets = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => ProtoSources.MessageAsync($"message Race{i} {{\n  string id = 1;\n}}", "acme.race.v1")));

        var versions = await Task.WhenAll(sets.Select((set, i) => (i % 2 == 0 ? a : b).Client.CreateSchemaVersionAsync(
            new CreateSchemaVersionRequest { Parent = subject, FileDescriptorSet = set }, RegistryHost.Architect).ResponseAsync));

        Assert.Equal(Enumerable.Range(2, 6), versions.Select(v => v.Version).Order());
        var listed = await b.Client.ListSchemaVersionsAsync(new ListSchemaVersionsRequest { Parent = subject }, RegistryHost.Reader);
        Assert.Equal(7, listed.SchemaVersions.Count);
        Assert.Equal(7, listed.SchemaVersions.Select(v => v.SchemaId).Distinct().Count());
    }
}
