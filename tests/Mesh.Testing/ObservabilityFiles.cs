using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Mesh.Testing;

/// <summary>The repository's observability files (observability/): Prometheus rules, the Grafana dashboard, the SLOs.</summary>
public static partial class ObservabilityFiles
{
    // PromQL words that are not metrics: aggregations, functions, operators and modifiers.
    private static readonly HashSet<string> PromQlWords = new(StringComparer.Ordinal)
    {
        "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group",
        "rate", "irate", "increase", "delta", "idelta", "deriv", "histogram_quantile", "clamp_min", "clamp_max", "abs", "vector",
        "scalar", "time", "absent", "avg_over_time", "max_over_time", "min_over_time", "sum_over_time", "and", "or", "unless",
        "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool", "inf", "nan",
    };

    /// <summary>One rule of prometheus/alerts.yaml: a recording rule (record) or an alert, with its expression.</summary>
    public sealed record Rule(string? Record, string? Alert, string Expr);

    /// <summary>Every rule of observability/prometheus/alerts.yaml.</summary>
    public static List<Rule> AlertRules()
    {
        var yaml = new YamlStream();
        using (var reader = File.OpenText(Path.Combine(Folder, "prometheus", "alerts.yaml")))
        {
            yaml.Load(reader);
        }

        var groups = (YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["groups"];
        return [.. groups.Cast<YamlMappingNode>()
            .SelectMany(g => ((YamlSequenceNode)g["rules"]).Cast<YamlMappingNode>())
            .Select(r => new Rule(Scalar(r, "record"), Scalar(r, "alert"), Scalar(r, "expr") ?? throw new InvalidDataException("a rule has no expr")))];
    }

    /// <summary>Every query of observability/grafana/mesh.json, with its panel's title.</summary>
    public static IEnumerable<(string Panel, string Expr)> DashboardExpressions()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "grafana", "mesh.json")));
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                yield return (panel.GetProperty("title").GetString()!, target.GetProperty("expr").GetString()!);
            }
        }
    }

    /// <summary>The <c>le</c> of the latency bucket the SLO of <paramref name="flow"/> in observability/slo.yaml counts as good.</summary>
    public static string SloThresholdBucket(string flow)
    {
        var slo = Slos().Single(s => Scalar(s, "flow") == flow);
        return LeLabel().Match(Scalar(slo, "good") ?? "").Groups["le"].Value;
    }

    /// <summary>
    /// Where the rules and the dashboard name a metric that is neither in <paramref name="exported"/> nor recorded by a
    /// rule, among the names <paramref name="owned"/> says the caller's scrape should hold ("prometheus/alerts.yaml
    /// {rule}: {name}"); throws when the files hold too few expressions to have been read.
    /// </summary>
    public static List<string> UnknownMetrics(IReadOnlySet<string> exported, Func<string, bool> owned)
    {
        var rules = AlertRules();
        var recorded = rules.Where(r => r.Record is not null).Select(r => r.Record!).ToHashSet(StringComparer.Ordinal);
        var expressions = rules.Select(r => (Where: $"prometheus/alerts.yaml {r.Record ?? r.Alert}", r.Expr))
            .Concat(DashboardExpressions().Select(e => (Where: $"grafana/mesh.json {e.Panel}", e.Expr)))
            .ToList();
        if (expressions.Count < 20)
        {
            throw new InvalidDataException("the rules and the dashboard should have been read");
        }

        return [.. expressions
            .SelectMany(e => MetricNames(e.Expr).Select(name => (e.Where, Name: name)))
            .Where(m => owned(m.Name) && !exported.Contains(m.Name) && !recorded.Contains(m.Name))
            .Select(m => $"{m.Where}: {m.Name}")];
    }

    /// <summary>The SLOs of observability/slo.yaml, one mapping each.</summary>
    public static List<YamlMappingNode> Slos()
    {
        var yaml = new YamlStream();
        using (var reader = File.OpenText(Path.Combine(Folder, "slo.yaml")))
        {
            yaml.Load(reader);
        }

        return [.. ((YamlSequenceNode)((YamlMappingNode)yaml.Documents[0].RootNode)["flows"]).Cast<YamlMappingNode>()];
    }

    /// <summary>
    /// The metric names an expression selects: what is left once strings, range and offset durations, label
    /// matchers, grouping clauses, numbers and PromQL's own words are taken out.
    /// </summary>
    public static IEnumerable<string> MetricNames(string expr)
    {
        var bare = Matchers().Replace(Strings().Replace(expr, "\"\""), "{}");
        bare = Grouping().Replace(Ranges().Replace(bare, ""), "");
        return Identifiers().Matches(bare).Select(m => m.Value).Where(w => !PromQlWords.Contains(w)).Distinct(StringComparer.Ordinal);
    }

    private static string Folder => Path.Combine(Repository.Root, "observability");

    /// <summary>The scalar <paramref name="key"/> of a mapping, or null.</summary>
    public static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    [GeneratedRegex(@"""(\\.|[^""\\])*""")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifiers();

    [GeneratedRegex(@"le=""(?<le>[^""]+)""")]
    private static partial Regex LeLabel();
}
