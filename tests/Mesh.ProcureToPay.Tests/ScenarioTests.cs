using Mesh.Scenarios;

namespace Mesh.ProcureToPay.Tests;

/// <summary>The demo's procure-to-pay scenario against the whole mesh: it must reconcile, with every kind of outcome present.</summary>
public sealed class ScenarioTests(ProcureToPayMesh mesh) : IClassFixture<ProcureToPayMesh>
{
    [Fact]
    public async Task Scenario_RejectionsPartialsMismatchesAndDuplicates_Reconciles()
    {
        var scenario = new ProcureToPayScenario(mesh.Clients);
        var spec = new ProcureToPaySpec(Requisitions: 12, Rejected: 0.25, Partial: 0.5, PriceMismatch: 0.25, Duplicates: 0.3, Locations: 3);
        await scenario.SeedAsync(CancellationToken.None);
        var runId = Guid.NewGuid().ToString("N")[..8];
        var records = await Task.WhenAll(Enumerable.Range(0, spec.Requisitions).Select(i => scenario.RunAsync(i, runId, spec, TimeSpan.FromSeconds(60), CancellationToken.None)));
        var cases = await scenario.AwaitSettledAsync(records, TimeSpan.FromSeconds(90), CancellationToken.None);
        var report = await scenario.ReconcileAsync(records, cases, new Dictionary<string, decimal>(), CancellationToken.None);

        Assert.True(report.Balances, report.Format());
        Assert.True(report.Rejected > 0 && report.Completed > 0 && report.InvoicesOnHold.Count > 0 && report.DuplicatesSent > 0, report.Format());
        Assert.Equal(report.InvoicesMatched, report.ApPostings);
    }
}
