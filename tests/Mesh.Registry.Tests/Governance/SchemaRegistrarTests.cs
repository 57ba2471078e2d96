using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Registry.V1;
using Mesh.Registry.Compatibility;
using Mesh.Registry.Governance;

namespace Mesh.Registry.Tests.Governance;

/// <summary>Registration, lifecycle and settings rules called as plain classes: real Redis and buf, a fake clock, no gRPC.</summary>
public sealed class SchemaRegistrarTests(GovernanceFixture fixture) : IClassFixture<GovernanceFixture>
{
    private const string Order = "message Order {\n  string id = 1;\n  string note = 2;\n}";
    private const string Architect = "alice-architect";

    [Fact]
    public async Task RegisterAsync_FirstVersion_CreatesTheSubjectAtTheClocksTime()
    {
        var subject = NewSubject();
        var now = Timestamp.FromDateTimeOffset(fixture.Clock.GetUtcNow());

        var version = await RegisterAsync(subject, Order, owner: "orders-team");
        var settings = await fixture.Catalog.SubjectAsync(subject);

        Assert.Equal((1, $"subjects/{subject}/versions/1", Architect, now), (version.Version, version.Name, version.CreatePrincipal, version.CreateTime));
        Assert.Equal(("orders-team", LifecycleState.Active, 1, now, now), (settings.OwnerTeam, settings.State, settings.LatestVersion, settings.CreateTime, settings.UpdateTime));
    }

    [Fact]
    public async Task RegisterAsync_IdenticalContent_ReturnsThatVersionAndRecordsUnchanged()
    {
        var subject = NewSubject();
        var first = await RegisterAsync(subject, Order);

        var again = await RegisterAsync(subject, Order, owner: "");
        var (audit, _) = await fixture.Catalog.AuditAsync("", 10, subject);

        Assert.Equal((first.Version, first.SchemaId), (again.Version, again.SchemaId));
        Assert.Equal(first.FileDescriptorSet, again.FileDescriptorSet);
        Assert.Equal(["UNCHANGED", "ACCEPTED"], audit.Select(e => e.Verdict));
    }

    [Fact]
    public async Task RegisterAsync_BreakingChange_ThrowsTheVerdictAndWritesNothing()
    {
        var subject = NewSubject();
        await RegisterAsync(subject, Order);

        var refusal = await Assert.ThrowsAsync<IncompatibleVersionException>(() => RegisterAsync(subject, "message Order {\n  string id = 1;\n}"));
        var (versions, _) = await fixture.Catalog.VersionsAsync(subject, 0, 10, showDeleted: true);
        var (audit, _) = await fixture.Catalog.AuditAsync("", 10, subject);

        Assert.Equal((CompatibilityMode.Backward, RuleCategory.File), (refusal.Policy.Mode, refusal.Policy.Category));
        Assert.Equal([1], refusal.Verdict.ComparedVersions);
        Assert.Contains(refusal.Verdict.Violations, v => v.Rule == "FIELD_NO_DELETE" && v.AgainstVersion == 1);
        Assert.Single(versions);
        // The refusal is the audit interceptor's to record, once; the domain records only what it did.
        Assert.Equal(["ACCEPTED"], audit.Select(e => e.Verdict));
    }

    [Fact]
    public async Task RegisterAsync_NoOwnerAnywhere_IsFailedPreconditionAndWritesNothing()
    {
        var subject = NewSubject();

        var error = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync(subject, Order, owner: ""));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("MESH_OWNER_REQUIRED", error.Status.Detail, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RpcException>(() => fixture.Catalog.SubjectAsync(subject));
    }

    [Fact]
    public async Task AssessAsync_DisabledSubject_SaysSoBesideBufsVerdict()
    {
        var subject = NewSubject();
        await RegisterAsync(subject, Order);
        await fixture.Settings.UpdateSubjectAsync(subject, new Subject { State = LifecycleState.Disabled }, ["state"], Architect, CancellationToken.None);

        var identical = await fixture.Registrar.AssessAsync(subject, await CandidateAsync(Order), CancellationToken.None);
        var refused = await Assert.ThrowsAsync<RpcException>(() => RegisterAsync(subject, Order + "\nmessage Note {\n  string text = 1;\n}"));

        Assert.False(identical.Compatible);
        Assert.Equal(1, identical.IdenticalVersion);
        Assert.Equal("MESH_SUBJECT_DISABLED", Assert.Single(identical.Violations).Rule);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
    }

    [Fact]
    public async Task UpdateSubjectAsync_LaterOnTheClock_StampsUpdateTimeAndKeepsCreateTime()
    {
        var subject = NewSubject();
        await RegisterAsync(subject, Order);
        var created = Timestamp.FromDateTimeOffset(fixture.Clock.GetUtcNow());
        fixture.Clock.Advance(TimeSpan.FromHours(5));

        var updated = await fixture.Settings.UpdateSubjectAsync(subject, new Subject { OwnerTeam = "new-team" }, ["owner_team"], Architect, CancellationToken.None);
        var read = await fixture.Catalog.SubjectAsync(subject);

        Assert.Equal((created, Timestamp.FromDateTimeOffset(fixture.Clock.GetUtcNow())), (updated.CreateTime, updated.UpdateTime));
        Assert.Equal(updated, read);
        Assert.Equal(1, read.LatestVersion);
    }

    [Fact]
    public async Task DeleteAsync_SkipsTheVersionInChecks_AndASecondDeleteIsNotFound()
    {
        var subject = NewSubject();
        await RegisterAsync(subject, Order);
        await fixture.Settings.UpdateSubjectAsync(subject, new Subject { Compatibility = CompatibilityMode.None }, ["compatibility"], Architect, CancellationToken.None);
        await RegisterAsync(subject, "message Order {\n  string id = 1;\n}");
        await fixture.Settings.UpdateSubjectAsync(subject, new Subject { Compatibility = CompatibilityMode.BackwardTransitive }, ["compatibility"], Architect, CancellationToken.None);

        await fixture.Registrar.DeleteAsync(subject, 1, Architect, CancellationToken.None);
        var again = await Assert.ThrowsAsync<RpcException>(() => fixture.Registrar.DeleteAsync(subject, 1, Architect, CancellationToken.None));
        var assessment = await fixture.Registrar.AssessAsync(subject, await CandidateAsync("message Order {\n  string id = 1;\n  int64 note = 2;\n}"), CancellationToken.None);

        Assert.Equal(StatusCode.NotFound, again.StatusCode);
        Assert.Equal([2], assessment.ComparedVersions);
        Assert.True(assessment.Compatible, string.Join("; ", assessment.Violations));
    }

    private static string NewSubject() => $"acme.orders.v1-{Guid.NewGuid():N}";

    private static async Task<Candidate> CandidateAsync(string body) => Candidate.Parse(await ProtoSources.MessageAsync(body));

    private async Task<SchemaVersion> RegisterAsync(string subject, string body, string owner = "orders-team") =>
        await fixture.Registrar.RegisterAsync(subject, await CandidateAsync(body), owner, Architect, CancellationToken.None);
}
