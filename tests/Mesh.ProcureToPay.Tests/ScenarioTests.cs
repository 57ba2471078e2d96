using Mesh.Contracts.Workflows.V1;
using Mesh.Scenarios;
using Mesh.Testing;

namespace Mesh.ProcureToPay.Tests;

/// <summary>The demo's procure-to-pay scenario against the whole mesh: it must reconcile, with every kind of outcome present and contracted lines at their contract price.</summary>
public sealed class ScenarioTests(ProcureToPayMesh mesh) : IClassFixture<ProcureToPayMesh>
{
    [Fact]
    public async Task Scenario_RejectionsPartialsMismatchesAndDuplicates_ReconcilesAndTheKpisCountTheSameCases()
    {
        using var kpis = new AppMeters(mesh.Workflows, "Mesh.Workflows.ProcureToPay");
        var spec = new ProcureToPaySpec(Requisitions: 12, Rejected: 0.25, Partial: 0.5, PriceMismatch: 0.25, Duplicates: 0.3, Locations: 3);
        var (scenario, records, cases) = await mesh.RunScenarioAsync(spec);
        var report = await scenario.ReconcileAsync(records, cases, new Dictionary<string, decimal>(), CancellationToken.None);

        Assert.True(report.Balances, report.Format());
        Assert.True(report.Rejected > 0 && report.Completed > 0 && report.InvoicesOnHold.Count > 0 && report.DuplicatesSent > 0 && report.ContractLines > 0, report.Format());
        Assert.Equal(report.InvoicesMatched, report.ApPostings);

        // A case's record is readable a moment before its conclusion is counted.
        var concluded = cases.Count(c => c.State == CaseState.Completed);
        await mesh.EventuallyAsync(() => Task.FromResult(kpis.Sum("mesh.procure_to_pay.cases") >= concluded), "every concluded case counted");
        Assert.Equal(spec.Requisitions, kpis.Sum("mesh.procure_to_pay.cases.started"));
        Assert.Equal(report.Completed, kpis.Sum("mesh.procure_to_pay.cases", ("status", "completed")));
        Assert.Equal(report.Rejected, kpis.Sum("mesh.procure_to_pay.cases", ("status", "rejected")));
        var completed = cases.Where(c => c.State == CaseState.Completed && c.ProcureToPay.Outcome == "completed").ToList();
        Assert.Equal(completed.Count, kpis.Of("mesh.procure_to_pay.requisition_to_order").Count);
        Assert.Equal(completed.Sum(c => c.ProcureToPay.JournalEntries.Count), kpis.Of("mesh.procure_to_pay.receipt_to_posting").Count);
        Assert.All(kpis.Of("mesh.procure_to_pay.receipt_to_posting"), m => Assert.True(m.Value >= 0, "a posting cannot precede its goods"));
        // Cases held on an invoice wait on the exception queue, in flight; nothing is stalled within the week.
        var held = cases.Where(c => c.State == CaseState.Exception).GroupBy(c => c.Reason).ToDictionary(g => g.Key, g => g.Count());
        var depth = kpis.Observe("mesh.procure_to_pay.exception_queue.depth").Where(m => m.Value > 0).ToDictionary(m => m.Tags["reason"], m => (int)m.Value);
        Assert.Equal(held.OrderBy(h => h.Key), depth.OrderBy(d => d.Key));
        Assert.Equal(held.Values.Sum(), Assert.Single(kpis.Observe("mesh.procure_to_pay.cases.in_flight")).Value);
        Assert.Equal(0, Assert.Single(kpis.Observe("mesh.procure_to_pay.cases.stalled")).Value);
    }
}
