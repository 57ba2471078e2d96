using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Workflows.V1;

namespace Mesh.Workflows.Cases;

/// <summary>
/// Pages of a flow's stalled cases, longest stalled first: from its metrics' cases in flight (this process's, in
/// memory), ordered by when each began its step, then by case id. A page token is the last case listed, so a page
/// starts after it whatever became stalled or moved on in between.
/// </summary>
internal static class StalledCases
{
    /// <summary>Up to <paramref name="size"/> stalled cases after <paramref name="pageToken"/>, and the next page's token.</summary>
    public static (List<StalledCase> Page, string Next) Page(ICaseFlow flow, int size, string pageToken)
    {
        var after = Cursor.Parse(pageToken);
        var rest = flow.Metrics.Stalled()
            .Select(s => new Cursor(s.Since.UtcTicks, flow.CaseIdOfMetricsKey(s.CaseKey), s.Step))
            .Where(c => after is null || c.CompareTo(after) > 0)
            .Order()
            .Take(size + 1)
            .ToList();
        var page = rest.Take(size).Select(c => new StalledCase
        {
            Name = CaseNames.Of(flow.Id, c.CaseId),
            Step = c.Step,
            Since = Timestamp.FromDateTimeOffset(new DateTimeOffset(c.Ticks, TimeSpan.Zero)),
        }).ToList();
        return (page, rest.Count > size ? rest[size - 1].Token : "");
    }

    private sealed record Cursor(long Ticks, string CaseId, string Step) : IComparable<Cursor>
    {
        public string Token => Resources.PageTokens.Encode(string.Create(CultureInfo.InvariantCulture, $"{Ticks}|{CaseId}"));

        public static Cursor? Parse(string token)
        {
            Cursor? parsed = null;
            var cursor = Resources.PageTokens.Decode(token, c =>
            {
                var bar = c.IndexOf('|', StringComparison.Ordinal);
                if (bar > 0 && long.TryParse(c[..bar], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && CaseNames.IsCaseId(c[(bar + 1)..]))
                {
                    parsed = new Cursor(ticks, c[(bar + 1)..], "");
                    return true;
                }

                return false;
            });
            return cursor.Length == 0 ? null : parsed;
        }

        public int CompareTo(Cursor? other) =>
            other is null ? 1 : Ticks != other.Ticks ? Ticks.CompareTo(other.Ticks) : string.CompareOrdinal(CaseId, other.CaseId);
    }
}
