using Mesh.Contracts.Workflows.V1;
using Mesh.Scenarios;
using Mesh.Testing;

namespace Mesh.ProcureToPay.Tests;

/// <summary>What observability/ says about procure-to-pay names metrics the workflows app really exports at /metrics.</summary>
public sealed class ObservabilityTests(ProcureToPayMesh mesh) : IClassFixture<ProcureToPayMesh>
{
    [Fact]
    public async Task AlertRulesAndDashboard_ProcureToPayExpressions_NameMetricsTheWorkflowsAppExports()
    {
        // Every KPI appears once a run had a completed case (its latencies), a rejection and an invoice on hold.
        var (_, _, cases) = await mesh.RunScenarioAsync(new ProcureToPaySpec(Requisitions: 4, Rejected: 0.25, Partial: 0, PriceMismatch: 0.5, Duplicates: 0, Locations: 1));
        Assert.Contains(cases, c => c.State == CaseState.Completed && c.ProcureToPay.Outcome == "completed");
        Assert.Contains(cases, c => c.State == CaseState.Exception);

        PrometheusScrape scrape = null!;
        await mesh.EventuallyAsync(
            async () => (scrape = await PrometheusScrape.ReadAsync(new Uri(mesh.WorkflowsAddress, "/metrics").ToString(), http2Only: true))
                .Matching("mesh_procure_to_pay_receipt_to_posting_seconds_bucket").Any(),
            "the posting latency exported");
        var exported = scrape.Samples.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

        var unknown = ObservabilityFiles.UnknownMetrics(exported, name => name.StartsWith("mesh_procure_to_pay_", StringComparison.Ordinal));
        Assert.True(unknown.Count == 0, "expressions name metrics the workflows app does not export:\n" + string.Join('\n', unknown));
        // The SLO's good events are the latency bucket at its threshold, which the histogram must have.
        Assert.Contains(scrape.Matching("mesh_procure_to_pay_receipt_to_posting_seconds_bucket"), b => b.Labels["le"] == ObservabilityFiles.SloThresholdBucket("procure-to-pay"));
    }
}
