using Dapr.Workflow;
using Grpc.Core;
using Mesh.Contracts.Workflows.V1;
using Mesh.Scenarios;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>
/// CaseService.GetCaseTimeline on real sagas: the history the embedded workflow engine keeps, read by the workflows app
/// through its sidecar, as the steps, retries and compensations of a case.
/// </summary>
public sealed class CaseTimelineTests(FaultyFlow flow) : IClassFixture<FaultyFlow>, IAsyncLifetime
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => flow.HealAsync();

    [Fact]
    public async Task GetCaseTimeline_StepRetriedThenPostingRefused_ListsTheRetryWithItsAttemptAndTheCompensationsInOrder()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: true);
        // Master data loses one reply: the first check fails UNAVAILABLE and the saga's retry succeeds.
        flow.LostReplies.Lose("/mesh.masterdata.v1.ItemService/GetItem", times: 1);

        var concluded = await run.ConcludeAsync(erpMode: "Reject");
        var timeline = await SettledTimelineAsync(concluded.Name);

        Assert.Equal((CaseState.Exception, "erp_rejected", true), (concluded.State, concluded.Reason, concluded.Compensated));
        Assert.Equal((InventoryToChargeScenario.CaseName(run.EventId) + "/timeline", SagaStatus.Completed), (timeline.Name, timeline.Status));
        Assert.Equal(
            [
                ("CheckCase", 1, TimelineOutcome.Retried, false),
                ("CheckCase", 2, TimelineOutcome.Completed, false),
                ("TakeStock", 1, TimelineOutcome.Completed, false),
                ("CaptureCharge", 1, TimelineOutcome.Completed, false),
                ("PostCost", 1, TimelineOutcome.Completed, false),
                ("VoidCharge", 1, TimelineOutcome.Completed, true),
                ("RestoreStock", 1, TimelineOutcome.Completed, true),
                ("ConcludeCase", 1, TimelineOutcome.Completed, false),
            ],
            timeline.Entries.Where(e => e.Kind == TimelineEntryKind.Step).Select(e => (e.Step, e.Attempt, e.Outcome, e.Compensation)));
        Assert.Equal("grpc_unavailable", timeline.Entries.Single(e => e.Outcome == TimelineOutcome.Retried).FailureReason);
        var saga = timeline.Entries[0];
        Assert.Equal((TimelineEntryKind.Saga, "InventoryToChargeWorkflow", TimelineOutcome.Completed), (saga.Kind, saga.Step, saga.Outcome));
        var starts = timeline.Entries.Select(e => e.StartTime.ToDateTimeOffset()).ToList();
        Assert.Equal(starts.Order(), starts);
        Assert.All(timeline.Entries, e => Assert.True(e.EndTime.ToDateTimeOffset() >= e.StartTime.ToDateTimeOffset(), e.ToString()));
        // Names, times, outcomes and reason codes only: nothing of the patient, nor the failure's message.
        var text = timeline.ToString();
        Assert.DoesNotContain(run.Consumed.Patient.Mrn, text, StringComparison.Ordinal);
        Assert.DoesNotContain(run.Consumed.ClinicalOrderId, text, StringComparison.Ordinal);
        Assert.DoesNotContain("test fault", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCaseTimeline_SagaHistoryPurged_SaysPurgedAndTheCaseRemains()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: false);
        var concluded = await run.ConcludeAsync();
        await SettledTimelineAsync(concluded.Name);

        var engine = flow.Mesh.Workflows.GetRequiredService<DaprWorkflowClient>();
        // The saga instance of a case is "itc-{event id}" (ConsumptionIntake.InstanceIdOf).
        Assert.True(await engine.PurgeInstanceAsync($"itc-{run.EventId}"));
        var timeline = await flow.Mesh.Clients.Cases.GetCaseTimelineAsync(new GetCaseTimelineRequest { Name = concluded.Name + "/timeline" });
        var stillThere = await flow.Mesh.Clients.Cases.GetCaseAsync(new GetCaseRequest { Name = concluded.Name });

        Assert.Equal(CaseState.Completed, concluded.State);
        Assert.Equal((SagaStatus.Purged, 0), (timeline.Status, timeline.Entries.Count));
        Assert.Equal((CaseState.Completed, concluded.Steps.Count), (stillThere.State, stillThere.Steps.Count));
    }

    [Theory]
    [InlineData("flows/inventory-to-charge/cases/never-started/timeline", StatusCode.NotFound)]
    [InlineData("flows/inventory-to-charge/cases/some-case", StatusCode.InvalidArgument)]
    [InlineData("flows/no-such-flow/cases/some-case/timeline", StatusCode.NotFound)]
    public async Task GetCaseTimeline_NoSuchCaseOrNotATimelineName_IsRefused(string name, StatusCode expected)
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => flow.Mesh.Clients.Cases.GetCaseTimelineAsync(new GetCaseTimelineRequest { Name = name }).ResponseAsync);

        Assert.Equal(expected, refused.StatusCode);
        Assert.Contains(expected == StatusCode.InvalidArgument ? "name is not a case timeline name" : "does not exist", refused.Status.Detail, StringComparison.Ordinal);
    }

    // The case concludes in the saga's last step; the saga itself ends a moment later.
    private async Task<CaseTimeline> SettledTimelineAsync(string caseName)
    {
        var deadline = DateTime.UtcNow + Settle;
        while (true)
        {
            var timeline = await flow.Mesh.Clients.Cases.GetCaseTimelineAsync(new GetCaseTimelineRequest { Name = caseName + "/timeline" });
            if (timeline.Status is not (SagaStatus.Running or SagaStatus.Pending) || DateTime.UtcNow > deadline)
            {
                return timeline;
            }

            await Task.Delay(50);
        }
    }
}
