using Mesh.Contracts.Procurement.V1;
using Mesh.Scenarios;

namespace Mesh.ProcureToPay.Tests;

/// <summary>The procure-to-pay scenario with the workflows app SIGKILLed mid-run and started again.</summary>
public sealed class KilledAppTests(WorkflowsProcessMesh mesh) : IClassFixture<WorkflowsProcessMesh>
{
    [Fact]
    public async Task Scenario_WorkflowsAppKilledMidRun_EveryCaseCompletesOnceAndReconciles()
    {
        var scenario = new ProcureToPayScenario(mesh.Clients);
        var spec = new ProcureToPaySpec(Requisitions: 8, Rejected: 0, Partial: 0.5, PriceMismatch: 0, Duplicates: 0.3, Locations: 2);
        await scenario.SeedAsync(CancellationToken.None);
        var runId = Guid.NewGuid().ToString("N")[..8];

        var runs = Enumerable.Range(0, spec.Requisitions).Select(i => scenario.RunAsync(i, runId, spec, TimeSpan.FromSeconds(120), CancellationToken.None)).ToList();
        // Once a first order is out, the saga is mid-way through the others.
        await mesh.EventuallyAsync(
            async () => (await mesh.Orders.ListPurchaseOrdersAsync(new ListPurchaseOrdersRequest { State = PurchaseOrderState.Sent })).PurchaseOrders.Count > 0, "a first order sent");
        var settledBeforeKill = runs.Count(run => run.IsCompleted);
        await mesh.KillAndRestartWorkflowsAsync();
        var records = await Task.WhenAll(runs);
        var cases = await scenario.AwaitSettledAsync(records, TimeSpan.FromSeconds(120), CancellationToken.None);
        var report = await scenario.ReconcileAsync(records, cases, new Dictionary<string, decimal>(), CancellationToken.None);

        Assert.True(settledBeforeKill < spec.Requisitions, "the app was killed after the run had finished; nothing was in flight");
        Assert.True(report.Balances, report.Format());
        Assert.Equal(spec.Requisitions, report.Completed);
        Assert.Equal(0, report.Duplicates);
        Assert.Equal(report.InvoicesMatched, report.ApPostings);
    }
}
