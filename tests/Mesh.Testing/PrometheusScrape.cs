using System.Globalization;
using System.Text.RegularExpressions;

namespace Mesh.Testing;

/// <summary>One sample of a Prometheus text exposition: a metric name, its labels and its value.</summary>
/// <param name="Name">The sample's name (with its _bucket, _sum, _count or _total suffix).</param>
/// <param name="Labels">Its labels.</param>
/// <param name="Value">Its value.</param>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A scrape of a <c>/metrics</c> endpoint in the Prometheus text format, read as a monitoring system would: samples
/// by name and labels, and the metric families (<c># TYPE</c>) the endpoint declares.
/// </summary>
public sealed partial class PrometheusScrape(IReadOnlyList<PrometheusSample> samples, IReadOnlySet<string> families)
{
    /// <summary>Every sample.</summary>
    public IReadOnlyList<PrometheusSample> Samples => samples;

    /// <summary>The metric families declared by <c># TYPE</c> lines.</summary>
    public IReadOnlySet<string> Families => families;

    /// <summary>
    /// Scrapes <paramref name="endpoint"/> (e.g. http://127.0.0.1:5700/metrics); <paramref name="http2Only"/> for an
    /// app port that speaks HTTP/2 only (grpc and h2c apps).
    /// </summary>
    public static async Task<PrometheusScrape> ReadAsync(string endpoint, bool http2Only = false)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, endpoint);
        if (http2Only)
        {
            request.Version = System.Net.HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Parses the text format.</summary>
    public static PrometheusScrape Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        var families = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                families.Add(line.Split(' ')[2]);
                continue;
            }

            if (line.StartsWith('#') || SampleLine().Match(line) is not { Success: true } match)
            {
                continue;
            }

            var labels = LabelPair().Matches(match.Groups["labels"].Value).ToDictionary(l => l.Groups["k"].Value, l => Regex.Unescape(l.Groups["v"].Value), StringComparer.Ordinal);
            var value = match.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var number => double.Parse(number, CultureInfo.InvariantCulture),
            };
            samples.Add(new PrometheusSample(match.Groups["name"].Value, labels, value));
        }

        return new PrometheusScrape(samples, families);
    }

    /// <summary>
    /// What changed since <paramref name="earlier"/>: each sample's value less its value then (counters, histograms and
    /// gauges alike), so a test reads what its own run added.
    /// </summary>
    public PrometheusScrape Minus(PrometheusScrape earlier)
    {
        var before = earlier.Samples.GroupBy(Key).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
        return new PrometheusScrape([.. samples.Select(s => s with { Value = s.Value - before.GetValueOrDefault(Key(s)) })], families);

        static string Key(PrometheusSample s) => s.Name + "{" + string.Join(',', s.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}";
    }

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels include every one of <paramref name="labels"/>.</summary>
    public double Sum(string name, params (string Key, string Value)[] labels) =>
        Matching(name, labels).Sum(s => s.Value);

    /// <summary>The samples named <paramref name="name"/> whose labels include every one of <paramref name="labels"/>.</summary>
    public IEnumerable<PrometheusSample> Matching(string name, params (string Key, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<k>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<v>(\\.|[^""\\])*)""")]
    private static partial Regex LabelPair();
}
