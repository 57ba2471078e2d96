using Dapr.Workflow;
using Grpc.Core;
using Mesh.Contracts.Workflows.V1;
using Mesh.Scenarios;
using Mesh.Workflows.InventoryToCharge;
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
        Assert.Equal(($"itc-{run.EventId}", SagaStatus.Purged), (timeline.Runs.Single().InstanceId, timeline.Runs.Single().Status));
        Assert.Equal((CaseState.Completed, concluded.Steps.Count), (stillThere.State, stillThere.Steps.Count));
    }

    [Fact]
    public async Task GetCaseTimeline_ParkedCaseReplayedToCompletion_HoldsTheFirstRunEndingInTheParkThenTheReplayEndingCompleted()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: false);
        var parked = await run.ConcludeAsync(erpMode: "Down");
        await SettledTimelineAsync(parked.Name);

        var replayed = await run.ReplayAsync();
        var timeline = await SettledTimelineAsync(replayed.Name);

        var first = ConsumptionIntake.InstanceIdOf(run.EventId);
        var replayId = $"{first}-replay-{parked.ConcludeTime.ToDateTimeOffset().UtcTicks}";
        Assert.Equal(("erp_unavailable", CaseState.Completed), (parked.Reason, replayed.State));
        Assert.Equal([first], parked.RunInstanceIds);
        Assert.Equal([first, replayId], replayed.RunInstanceIds);
        Assert.Equal(
            [(first, SagaStatus.Completed, false), (replayId, SagaStatus.Completed, true)],
            timeline.Runs.Select(r => (r.InstanceId, r.Status, r.Replay)));
        Assert.Equal(SagaStatus.Completed, timeline.Status);
        // Run after run, each in the order it happened: the first run's posting gave up and the case was parked...
        var runs = timeline.Entries.Select(e => e.Run).ToList();
        Assert.Equal(runs.Order(), runs);
        Assert.Equal([1, 2], runs.Distinct());
        var firstRun = timeline.Entries.Where(e => e.Run == 1 && e.Kind == TimelineEntryKind.Step).Select(e => (e.Step, e.Outcome)).ToList();
        Assert.Equal([("PostCost", TimelineOutcome.Failed), ("ConcludeCase", TimelineOutcome.Completed)], firstRun[^2..]);
        // ...then the replay began, marked so on its saga's start, posted the cost and concluded the case completed.
        var replayStart = timeline.Entries.Single(e => e.Replay);
        Assert.Equal((2, TimelineEntryKind.Saga, TimelineOutcome.Completed), (replayStart.Run, replayStart.Kind, replayStart.Outcome));
        Assert.Same(replayStart, timeline.Entries.First(e => e.Run == 2));
        var replay = timeline.Entries.Where(e => e.Run == 2 && e.Kind == TimelineEntryKind.Step).Select(e => (e.Step, e.Outcome)).ToList();
        Assert.Equal([("PostCost", TimelineOutcome.Completed), ("ConcludeCase", TimelineOutcome.Completed)], replay[^2..]);
        var starts = timeline.Entries.Select(e => e.StartTime.ToDateTimeOffset()).ToList();
        Assert.Equal(starts.Order(), starts);
    }

    [Fact]
    public async Task GetCaseTimeline_ParkedCaseTakenUpByTheIntakeAfterItsSagaWasPurged_SaysTheFirstRunPurgedAndShowsTheReplay()
    {
        var run = await ConsumptionRun.StartAsync(flow, chargeable: false);
        var parked = await run.ConcludeAsync(erpMode: "Down");
        await SettledTimelineAsync(parked.Name);
        var engine = flow.Mesh.Workflows.GetRequiredService<DaprWorkflowClient>();
        var first = ConsumptionIntake.InstanceIdOf(run.EventId);
        Assert.True(await engine.PurgeInstanceAsync(first));

        // Retention purged the saga that parked the case; the sender sends the event again, and the intake takes it up.
        var completed = await run.SendAgainAsync(CaseState.Completed);
        var timeline = await SettledTimelineAsync(completed.Name);

        var replayId = $"{first}-replay-{parked.ConcludeTime.ToDateTimeOffset().UtcTicks}";
        Assert.Equal([first, replayId], completed.RunInstanceIds);
        Assert.Equal(
            [(first, SagaStatus.Purged, false), (replayId, SagaStatus.Completed, true)],
            timeline.Runs.Select(r => (r.InstanceId, r.Status, r.Replay)));
        Assert.All(timeline.Entries, e => Assert.Equal(2, e.Run));
        Assert.True(timeline.Entries[0].Replay);
        Assert.Contains(timeline.Entries, e => (e.Step, e.Outcome) == ("PostCost", TimelineOutcome.Completed));
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
