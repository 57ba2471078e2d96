using Google.Protobuf.WellKnownTypes;
using Mesh.Registry.Compatibility;
using Mesh.Resources;

namespace Mesh.Registry.Governance;

/// <summary>
/// The rules of subjects and registry settings that need no storage: which policy applies, who owns a new version,
/// what a lifecycle state allows, and how an update mask changes settings.
/// </summary>
public static class SubjectRules
{
    /// <summary>The subject fields UpdateSubject may change.</summary>
    public static readonly IReadOnlySet<string> SubjectPaths = new HashSet<string>(StringComparer.Ordinal) { "compatibility", "rule_category", "lint", "owner_team", "state" };

    /// <summary>The registry config fields UpdateRegistryConfig may change.</summary>
    public static readonly IReadOnlySet<string> ConfigPaths = new HashSet<string>(StringComparer.Ordinal) { "compatibility", "rule_category", "lint" };

    /// <summary>The registry config in force until an architect sets one: the configured defaults.</summary>
    public static RegistryConfig DefaultConfig(RegistryOptions.DefaultsOptions defaults) => new()
    {
        Name = "config",
        Compatibility = defaults.Compatibility,
        RuleCategory = defaults.RuleCategory,
        Lint = new LintPolicy { Enabled = defaults.LintEnabled, Use = { defaults.LintUse }, Except = { defaults.LintExcept } },
    };

    /// <summary>The policy a check runs under: each of the subject's settings where it has one, else the registry's.</summary>
    public static EffectivePolicy Policy(Subject? subject, RegistryConfig config) => new(
        subject is { Compatibility: not CompatibilityMode.Unspecified } ? subject.Compatibility : config.Compatibility,
        subject is { RuleCategory: not RuleCategory.Unspecified } ? subject.RuleCategory : config.RuleCategory,
        subject?.Lint ?? config.Lint ?? new LintPolicy());

    /// <summary>FAILED_PRECONDITION when the subject's lifecycle state takes no new versions (DISABLED).</summary>
    public static void EnsureAcceptsVersions(string subject, Subject? settings)
    {
        if (settings?.State == LifecycleState.Disabled)
        {
            throw ResourceErrors.FailedPrecondition(DisabledMessage(subject));
        }
    }

    /// <summary>Why a check says a DISABLED subject would refuse the candidate, or null when it would not.</summary>
    public static Violation? LifecycleViolation(string subject, Subject? settings) =>
        settings?.State == LifecycleState.Disabled
            ? new Violation { Rule = "MESH_SUBJECT_DISABLED", Kind = "governance", Message = DisabledMessage(subject) }
            : null;

    /// <summary>
    /// The owning team of a new version: the one the request names, else the subject's, else the one the files
    /// declare (mesh.options.v1.file_owner); FAILED_PRECONDITION MESH_OWNER_REQUIRED when there is none.
    /// </summary>
    public static string Owner(string subject, string requested, Subject? settings, string? declared) =>
        new[] { requested, settings?.OwnerTeam, declared }.FirstOrDefault(o => !string.IsNullOrEmpty(o))
            ?? throw ResourceErrors.FailedPrecondition(
                $"MESH_OWNER_REQUIRED: subjects/{subject} has no owner; set owner_team or option (mesh.options.v1.file_owner) in its files");

    /// <summary>The settings of a subject's first version.</summary>
    public static Subject NewSubject(string subject, string owner, Timestamp now) => new()
    {
        Name = ResourceNames.OfSubject(subject), OwnerTeam = owner, State = LifecycleState.Active, CreateTime = now, UpdateTime = now,
    };

    /// <summary>
    /// <paramref name="current"/> with the fields of <paramref name="paths"/> taken from <paramref name="change"/>: an
    /// unset compatibility, rule category or lint means "the registry's"; an unset state means ACTIVE; the owner
    /// cannot be removed (INVALID_ARGUMENT).
    /// </summary>
    public static Subject Apply(Subject current, Subject change, IReadOnlyList<string> paths, Timestamp now)
    {
        if (paths.Contains("owner_team") && change.OwnerTeam.Length == 0)
        {
            throw ResourceErrors.Invalid("subject.owner_team must not be empty");
        }

        var updated = current.Clone();
        StandardMethods.ApplyMask(Mask(paths), change, updated);
        if (updated.State == LifecycleState.Unspecified)
        {
            updated.State = LifecycleState.Active;
        }

        updated.UpdateTime = now;
        return updated;
    }

    /// <summary>
    /// <paramref name="current"/> with the fields of <paramref name="paths"/> taken from <paramref name="change"/>: the
    /// registry's own compatibility and rule category cannot be unset (INVALID_ARGUMENT); an unset lint is lint off.
    /// </summary>
    public static RegistryConfig Apply(RegistryConfig current, RegistryConfig change, IReadOnlyList<string> paths)
    {
        if (paths.Contains("compatibility") && change.Compatibility == CompatibilityMode.Unspecified)
        {
            throw ResourceErrors.Invalid("config.compatibility cannot be UNSPECIFIED for the registry default");
        }

        if (paths.Contains("rule_category") && change.RuleCategory == RuleCategory.Unspecified)
        {
            throw ResourceErrors.Invalid("config.rule_category cannot be UNSPECIFIED for the registry default");
        }

        var updated = current.Clone();
        StandardMethods.ApplyMask(Mask(paths), change, updated);
        updated.Lint ??= new LintPolicy();
        return updated;
    }

    private static FieldMask Mask(IReadOnlyList<string> paths) => new() { Paths = { paths } };

    private static string DisabledMessage(string subject) => $"subjects/{subject} is DISABLED and accepts no new versions";
}
