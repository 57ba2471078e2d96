using Mesh.Console.Flows;
using Microsoft.Extensions.Options;

namespace Mesh.Console.Pages;

/// <summary>The home page: every flow with its KPIs, SLO status and chart.</summary>
public sealed class IndexModel(FlowReader reader, IOptions<ConsoleOptions> options) : ConsolePage(options)
{
    /// <summary>The objectives.</summary>
    public SloTargets Slo => Settings.Slo;

    /// <summary>Each flow's KPIs, in the order configured.</summary>
    public List<(string Flow, FlowKpis Kpis)> Kpis { get; } = [];

    /// <summary>Counts every flow's KPIs.</summary>
    public async Task OnGetAsync(CancellationToken ct)
    {
        foreach (var flow in Flows)
        {
            Kpis.Add((flow, await reader.KpisAsync(flow, ct)));
        }
    }
}
