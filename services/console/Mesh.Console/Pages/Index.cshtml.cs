using Mesh.Console.Flows;
using Microsoft.Extensions.Options;

namespace Mesh.Console.Pages;

/// <summary>The home page: every flow with its KPIs, SLO status (observability/slo.yaml: error budget, burn rates) and chart.</summary>
public sealed class IndexModel(FlowReader reader, IReadOnlyList<FlowSlo> slos, TimeProvider time, IOptions<ConsoleOptions> options) : ConsolePage(options)
{
    /// <summary>The objectives.</summary>
    public SloTargets Slo => Settings.Slo;

    /// <summary>Each flow's KPIs and where it stands against its slo.yaml objective (null when it has none), in the order configured.</summary>
    public List<(string Flow, FlowKpis Kpis, SloStatus? Status)> Kpis { get; } = [];

    /// <summary>Counts every flow's KPIs and SLO.</summary>
    public async Task OnGetAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        foreach (var flow in Flows)
        {
            var cases = await reader.CasesAsync(flow, ct);
            Kpis.Add((flow, FlowKpis.From(cases), slos.FirstOrDefault(s => s.Flow == flow)?.StatusOf(cases, now)));
        }
    }
}
