using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace Mesh.Console.Flows;

/// <summary>
/// A flow's throughput (bars: cases concluded per interval) and latency (line: p95 of the interval's completed cases)
/// as an SVG drawn on the server, so the page needs no chart library from anywhere.
/// </summary>
public static class FlowChart
{
    private const int Width = 720;
    private const int Height = 180;
    private const int Left = 48;
    private const int Right = 56;
    private const int Top = 12;
    private const int Bottom = 28;

    /// <summary>The chart of <paramref name="kpis"/> as SVG markup.</summary>
    public static string Svg(FlowKpis kpis)
    {
        var svg = new StringBuilder();
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-label=\"Throughput and p95 latency per {Describe(kpis.Interval)}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotWidth}\" height=\"{plotHeight}\" fill=\"#fff\" stroke=\"#d7dce2\"/>");
        if (kpis.Intervals.Count == 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + 8}\" y=\"{Top + 20}\" fill=\"#6b7280\">no concluded case yet</text></svg>");
            return svg.ToString();
        }

        var first = kpis.Intervals[0].Start;
        var slots = (int)((kpis.Intervals[^1].Start - first).Ticks / kpis.Interval.Ticks) + 1;
        var slotWidth = (double)plotWidth / slots;
        var maxCount = kpis.Intervals.Max(i => i.Concluded);
        var maxLatency = kpis.Intervals.Max(i => i.LatencyP95Ms ?? 0);
        var points = new List<string>();
        foreach (var interval in kpis.Intervals)
        {
            var slot = (int)((interval.Start - first).Ticks / kpis.Interval.Ticks);
            var barHeight = plotHeight * interval.Concluded / (double)maxCount;
            var x = Left + (slot * slotWidth);
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"throughput\" x=\"{x + 1:0.#}\" y=\"{Top + plotHeight - barHeight:0.#}\" width=\"{Math.Max(1, slotWidth - 2):0.#}\" height=\"{barHeight:0.#}\" fill=\"#8fb3d9\"><title>{interval.Start:HH:mm:ss} UTC: {interval.Concluded} concluded</title></rect>");
            if (interval.LatencyP95Ms is { } latency && maxLatency > 0)
            {
                points.Add(string.Create(CultureInfo.InvariantCulture, $"{x + (slotWidth / 2):0.#},{Top + plotHeight - (plotHeight * latency / maxLatency):0.#}"));
            }
        }

        if (points.Count > 0)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<polyline class=\"latency\" points=\"{string.Join(' ', points)}\" fill=\"none\" stroke=\"#b3261e\" stroke-width=\"2\"/>");
        }

        Label(svg, 4, Top + 10, $"{maxCount}", "#1d3557");
        Label(svg, 4, Top + plotHeight, "0", "#1d3557");
        Label(svg, Width - Right + 4, Top + 10, $"{maxLatency:0} ms", "#b3261e");
        Label(svg, Left, Height - 8, $"{first:HH:mm:ss} UTC, one bar per {Describe(kpis.Interval)}; bars: cases concluded, line: p95 latency", "#1d232b");
        return svg.Append("</svg>").ToString();
    }

    private static void Label(StringBuilder svg, int x, int y, string text, string colour) =>
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{y}\" font-size=\"11\" fill=\"{colour}\">{HtmlEncoder.Default.Encode(text)}</text>");

    private static string Describe(TimeSpan interval) =>
        interval.TotalDays >= 1 ? "day" : interval.TotalHours >= 1 ? "hour" : interval.TotalMinutes >= 1 ? $"{interval.TotalMinutes:0} min" : $"{interval.TotalSeconds:0} s";
}
