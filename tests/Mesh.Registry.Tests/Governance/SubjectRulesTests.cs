using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Registry.V1;
using Mesh.Registry.Governance;

namespace Mesh.Registry.Tests.Governance;

/// <summary>The settings rules on their own: no Redis, no buf, no gRPC.</summary>
public sealed class SubjectRulesTests
{
    private static readonly Timestamp Then = Timestamp.FromDateTimeOffset(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
    private static readonly Timestamp Now = Timestamp.FromDateTimeOffset(new DateTimeOffset(2030, 6, 7, 8, 9, 10, TimeSpan.Zero));

    private static readonly RegistryConfig Config = new()
    {
        Compatibility = CompatibilityMode.Backward,
        RuleCategory = RuleCategory.File,
        Lint = new LintPolicy { Enabled = true, Use = { "STANDARD" } },
    };

    [Fact]
    public void Policy_SubjectSettings_WinOverTheRegistrys()
    {
        var subject = new Subject { Compatibility = CompatibilityMode.FullTransitive, RuleCategory = RuleCategory.Wire, Lint = new LintPolicy { Enabled = false } };

        var policy = SubjectRules.Policy(subject, Config);

        Assert.Equal((CompatibilityMode.FullTransitive, RuleCategory.Wire, false), (policy.Mode, policy.Category, policy.Lint.Enabled));
    }

    [Fact]
    public void Policy_UnsetSubjectSettings_AreTheRegistrys()
    {
        var policy = SubjectRules.Policy(new Subject(), Config);
        var beforeFirstVersion = SubjectRules.Policy(null, Config);

        Assert.Equal((CompatibilityMode.Backward, RuleCategory.File, true), (policy.Mode, policy.Category, policy.Lint.Enabled));
        Assert.Equal(policy, beforeFirstVersion);
    }

    [Fact]
    public void Owner_TakesTheRequestThenTheSubjectThenTheFiles()
    {
        var settings = new Subject { OwnerTeam = "subject-team" };

        Assert.Equal("request-team", SubjectRules.Owner("s", "request-team", settings, "file-team"));
        Assert.Equal("subject-team", SubjectRules.Owner("s", "", settings, "file-team"));
        Assert.Equal("file-team", SubjectRules.Owner("s", "", null, "file-team"));
    }

    [Fact]
    public void Owner_NoneAnywhere_IsFailedPreconditionNamingTheRule()
    {
        var error = Assert.Throws<RpcException>(() => SubjectRules.Owner("acme.v1", "", new Subject(), null));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.StartsWith("MESH_OWNER_REQUIRED: subjects/acme.v1", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureAcceptsVersions_Disabled_IsFailedPrecondition_DeprecatedIsNot()
    {
        var error = Assert.Throws<RpcException>(() => SubjectRules.EnsureAcceptsVersions("acme.v1", new Subject { State = LifecycleState.Disabled }));
        SubjectRules.EnsureAcceptsVersions("acme.v1", new Subject { State = LifecycleState.Deprecated });

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("DISABLED", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("MESH_SUBJECT_DISABLED", SubjectRules.LifecycleViolation("acme.v1", new Subject { State = LifecycleState.Disabled })?.Rule);
        Assert.Null(SubjectRules.LifecycleViolation("acme.v1", null));
    }

    [Fact]
    public void ApplySubject_ChangesOnlyTheMaskedFields_AndStampsTheTime()
    {
        var current = new Subject { Name = "subjects/s", OwnerTeam = "a", Compatibility = CompatibilityMode.Backward, State = LifecycleState.Active, CreateTime = Then, UpdateTime = Then };
        var change = new Subject { Name = "subjects/s", OwnerTeam = "b", Compatibility = CompatibilityMode.None };

        var updated = SubjectRules.Apply(current, change, ["compatibility"], Now);

        Assert.Equal((CompatibilityMode.None, "a", LifecycleState.Active), (updated.Compatibility, updated.OwnerTeam, updated.State));
        Assert.Equal((Then, Now), (updated.CreateTime, updated.UpdateTime));
        Assert.Equal(CompatibilityMode.Backward, current.Compatibility);
    }

    [Fact]
    public void ApplySubject_UnsetStateAndLint_MeanActiveAndTheRegistrysLint()
    {
        var current = new Subject { OwnerTeam = "a", State = LifecycleState.Disabled, Lint = new LintPolicy { Enabled = false } };

        var updated = SubjectRules.Apply(current, new Subject(), ["state", "lint"], Now);

        Assert.Equal(LifecycleState.Active, updated.State);
        Assert.Null(updated.Lint);
    }

    [Fact]
    public void ApplySubject_EmptyOwner_IsInvalidArgumentNamingTheField()
    {
        var error = Assert.Throws<RpcException>(() => SubjectRules.Apply(new Subject { OwnerTeam = "a" }, new Subject(), ["owner_team"], Now));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("subject.owner_team", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ApplyConfig_UnspecifiedModeOrCategory_IsInvalidArgument_UnsetLintIsLintOff()
    {
        var mode = Assert.Throws<RpcException>(() => SubjectRules.Apply(Config, new RegistryConfig(), ["compatibility"]));
        var category = Assert.Throws<RpcException>(() => SubjectRules.Apply(Config, new RegistryConfig(), ["rule_category"]));
        var lintOff = SubjectRules.Apply(Config, new RegistryConfig(), ["lint"]);

        Assert.Equal(StatusCode.InvalidArgument, mode.StatusCode);
        Assert.Contains("config.compatibility", mode.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, category.StatusCode);
        Assert.Contains("config.rule_category", category.Status.Detail, StringComparison.Ordinal);
        Assert.False(lintOff.Lint.Enabled);
        Assert.Equal(CompatibilityMode.Backward, lintOff.Compatibility);
    }
}
