using Mesh.Registry.Storage;

namespace Mesh.Registry.Compatibility;

/// <summary>The settings that apply to one check, after subject and registry defaults are merged.</summary>
public sealed record EffectivePolicy(CompatibilityMode Mode, RuleCategory Category, LintPolicy Lint);

/// <summary>The verdict on a candidate.</summary>
public sealed record Verdict(IReadOnlyList<Violation> Violations, IReadOnlyList<int> ComparedVersions)
{
    /// <summary>True when nothing refuses the candidate.</summary>
    public bool Compatible => Violations.Count == 0;
}

/// <summary>
/// Applies a compatibility mode with Confluent's meanings, asking buf for each comparison:
/// BACKWARD checks the candidate against an earlier version; FORWARD checks the earlier version as if
/// it were new, against the candidate; FULL does both; TRANSITIVE forms do it for every earlier
/// version that is not deleted, the plain forms for the latest only.
/// </summary>
public sealed class CompatibilityChecker(BufCli buf)
{
    /// <summary>Lint, governance and breaking checks of a candidate against the subject's live versions.</summary>
    public async Task<Verdict> CheckAsync(
        Candidate candidate, IReadOnlyList<(StoredVersion Version, ByteString DescriptorSet)> live, EffectivePolicy policy, CancellationToken cancellationToken)
    {
        var violations = new List<Violation>(candidate.GovernanceViolations());
        if (policy.Lint.Enabled)
        {
            var lint = await buf.LintAsync(candidate.DescriptorSet, policy.Lint.Use, policy.Lint.Except, candidate.OwnFiles, cancellationToken);
            violations.AddRange(lint.Select(f => ToViolation(f, "lint", againstVersion: 0)));
        }

        var targets = Targets(live, policy.Mode);
        var checks = targets.SelectMany(target => Directions(policy.Mode).Select(async backward =>
        {
            var paths = candidate.OwnFiles.Union(target.Version.OwnFiles, StringComparer.Ordinal).ToList();
            var findings = backward
                ? await buf.BreakingAsync(candidate.DescriptorSet, target.DescriptorSet, CategoryId(policy.Category), paths, cancellationToken)
                : await buf.BreakingAsync(target.DescriptorSet, candidate.DescriptorSet, CategoryId(policy.Category), paths, cancellationToken);
            return findings.Select(f => ToViolation(f, backward ? "breaking" : "breaking-forward", target.Version.Metadata.Version));
        }));
        foreach (var found in await Task.WhenAll(checks))
        {
            violations.AddRange(found);
        }

        return new Verdict(violations, targets.Select(t => t.Version.Metadata.Version).ToList());
    }

    /// <summary>buf's id for a rule category.</summary>
    public static string CategoryId(RuleCategory category) => category switch
    {
        RuleCategory.File => "FILE",
        RuleCategory.Package => "PACKAGE",
        RuleCategory.WireJson => "WIRE_JSON",
        RuleCategory.Wire => "WIRE",
        _ => throw new ArgumentOutOfRangeException(nameof(category), category, "no buf category"),
    };

    private static List<(StoredVersion Version, ByteString DescriptorSet)> Targets(
        IReadOnlyList<(StoredVersion Version, ByteString DescriptorSet)> live, CompatibilityMode mode) => mode switch
        {
            CompatibilityMode.None => [],
            CompatibilityMode.BackwardTransitive or CompatibilityMode.ForwardTransitive or CompatibilityMode.FullTransitive => [.. live],
            _ => live.Count == 0 ? [] : [live[^1]],
        };

    // true = backward (candidate judged against the old version), false = forward (old judged against the candidate).
    private static bool[] Directions(CompatibilityMode mode) => mode switch
    {
        CompatibilityMode.Backward or CompatibilityMode.BackwardTransitive => [true],
        CompatibilityMode.Forward or CompatibilityMode.ForwardTransitive => [false],
        CompatibilityMode.Full or CompatibilityMode.FullTransitive => [true, false],
        _ => [],
    };

    private static Violation ToViolation(BufFinding finding, string kind, int againstVersion) => new()
    {
        Rule = finding.Type,
        Message = finding.Message,
        Path = finding.Path ?? "",
        StartLine = finding.StartLine,
        StartColumn = finding.StartColumn,
        Kind = kind,
        AgainstVersion = againstVersion,
    };
}
