using System.Globalization;
using Mesh.Contracts.Workflows.V1;
using YamlDotNet.RepresentationModel;

namespace Mesh.Console.Flows;

/// <summary>
/// One flow's service level objective as observability/slo.yaml declares it (the file Prometheus' rules and the
/// dashboard also follow): the share of cases that must meet the threshold over the window.
/// </summary>
/// <param name="Flow">The flow id, e.g. "inventory-to-charge".</param>
/// <param name="Name">The SLO's name, e.g. "consumption-to-posting".</param>
/// <param name="Objective">The share of good events, e.g. 0.95.</param>
/// <param name="Threshold">The latency a good event stays within.</param>
/// <param name="Window">The window the objective holds over, e.g. 30 days.</param>
public sealed record FlowSlo(string Flow, string Name, double Objective, TimeSpan Threshold, TimeSpan Window)
{
    /// <summary>The windows of the burn rates shown, as the fast and slow burn alerts read them.</summary>
    public static readonly TimeSpan[] BurnWindows = [TimeSpan.FromHours(1), TimeSpan.FromHours(6)];

    /// <summary>Reads every SLO of <paramref name="path"/>.</summary>
    /// <exception cref="ConsoleConfigurationException">The file is missing or an entry is invalid; the message names the file and the field.</exception>
    public static List<FlowSlo> Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ConsoleConfigurationException($"Console:SloFile: {path} does not exist; point it at observability/slo.yaml, or set it empty to show no SLOs");
        }

        var yaml = new YamlStream();
        using (var reader = File.OpenText(path))
        {
            yaml.Load(reader);
        }

        var flows = ((YamlMappingNode)yaml.Documents[0].RootNode).Children.TryGetValue(new YamlScalarNode("flows"), out var node) ? (YamlSequenceNode)node : new YamlSequenceNode();
        return [.. flows.Cast<YamlMappingNode>().Select(entry =>
        {
            string Field(string key) => entry.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode { Value: { Length: > 0 } text }
                ? text
                : throw new ConsoleConfigurationException($"{path}:{entry.Start.Line}: an SLO has no '{key}'");
            return new FlowSlo(
                Field("flow"),
                Field("slo"),
                double.TryParse(Field("objective"), NumberStyles.Float, CultureInfo.InvariantCulture, out var objective) && objective is > 0 and < 1
                    ? objective
                    : throw new ConsoleConfigurationException($"{path}:{entry.Start.Line}: 'objective' must be a share between 0 and 1"),
                Duration(Field("threshold"), path, entry.Start.Line, "threshold"),
                Duration(Field("window"), path, entry.Start.Line, "window"));
        })];
    }

    /// <summary>
    /// The SLO over <paramref name="cases"/> at <paramref name="now"/>: a case concluded in the window counts when the flow
    /// measures it (<see cref="FlowKpis.SliLatencyMs"/>) and is good within the threshold.
    /// </summary>
    public SloStatus StatusOf(IReadOnlyList<Case> cases, DateTimeOffset now)
    {
        var (good, total) = Count(cases, now - Window, now);
        var burns = BurnWindows.Select(window => Count(cases, now - window, now)).Select(c => c.Total == 0 ? (double?)null : ErrorRatio(c) / (1 - Objective)).ToList();
        return new SloStatus(this, good, total, total == 0 ? 1 : 1 - (ErrorRatio((good, total)) / (1 - Objective)), burns);
    }

    private (int Good, int Total) Count(IReadOnlyList<Case> cases, DateTimeOffset from, DateTimeOffset to)
    {
        var latencies = cases
            .Where(c => c.ConcludeTime is not null && c.ConcludeTime.ToDateTimeOffset() is var at && at > from && at <= to)
            .Select(FlowKpis.SliLatencyMs)
            .OfType<double>()
            .ToList();
        return (latencies.Count(ms => ms <= Threshold.TotalMilliseconds), latencies.Count);
    }

    private static double ErrorRatio((int Good, int Total) count) => count.Total == 0 ? 0 : 1 - ((double)count.Good / count.Total);

    // Prometheus' durations as slo.yaml writes them: 30s, 5m, 1h, 1d, 30d.
    private static TimeSpan Duration(string text, string path, long line, string field)
    {
        if (text.Length > 1 && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            switch (text[^1])
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'd': return TimeSpan.FromDays(n);
            }
        }

        throw new ConsoleConfigurationException($"{path}:{line}: '{field}' must be a duration such as 5m, 1h or 30d");
    }
}

/// <summary>Where a flow stands against its SLO.</summary>
/// <param name="Slo">The objective.</param>
/// <param name="Good">Cases in the window within the threshold.</param>
/// <param name="Total">Cases in the window the SLO counts.</param>
/// <param name="BudgetRemaining">The share of the window's error budget left (below zero once overspent); 1 while nothing counted.</param>
/// <param name="BurnRates">The burn rate over each of <see cref="FlowSlo.BurnWindows"/> (1 spends the budget exactly over the window); null when nothing counted.</param>
public sealed record SloStatus(FlowSlo Slo, int Good, int Total, double BudgetRemaining, IReadOnlyList<double?> BurnRates)
{
    /// <summary>The SLI: the share of good cases; null while nothing counted.</summary>
    public double? Sli => Total == 0 ? null : (double)Good / Total;

    /// <summary>True while the SLI meets the objective (or nothing counted yet).</summary>
    public bool Met => Sli is null || Sli >= Slo.Objective;
}
