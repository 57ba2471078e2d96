using Dapr.Workflow;
using Grpc.Core;

namespace Mesh.Runtime.Tests.Workflow;

/// <summary>The stock Dapr.Workflow SDK against the sidecar's TaskHubSidecarService, on the testbed's fake clock.</summary>
public sealed class WorkflowThroughSidecarTests(WorkflowTestbed testbed) : IClassFixture<WorkflowTestbed>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Saga_ApprovedWithinTheTimeout_CompletesWhenTheCoolDownTimerFires()
    {
        var id = await testbed.Client.ScheduleNewWorkflowAsync(nameof(SupplySaga), input: new SupplyRequest("gauze", 2, ApprovalTimeoutMs: 10_000));
        var approvalTimeout = await testbed.WaitForTimerAsync(id, 1);

        await testbed.Client.RaiseEventAsync(id, "approval", true);
        var coolDown = await testbed.WaitForTimerAsync(id, 2);
        testbed.AssertTimersFireAfter(TimeSpan.FromMilliseconds(100));
        var state = await WaitAsync(id);

        Assert.Equal(TimeSpan.FromSeconds(10), WorkflowTestbed.Delay(approvalTimeout));
        Assert.Equal(TimeSpan.FromMilliseconds(100), WorkflowTestbed.Delay(coolDown));
        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("approved:res-gauze-2", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Saga_ChargeFails_CompensatesTheReservation()
    {
        var releasedBefore = testbed.Log.Count(nameof(ReleaseStock));

        var id = await testbed.Client.ScheduleNewWorkflowAsync(nameof(SupplySaga), input: new SupplyRequest("suture", 1, FailCharge: true));
        var state = await WaitAsync(id);

        Assert.Equal("compensated", state.ReadOutputAs<string>());
        Assert.Equal(releasedBefore + 1, testbed.Log.Count(nameof(ReleaseStock)));
    }

    [Fact]
    public async Task Saga_NoApproval_TimesOutExactlyAtTheTimeoutAndCompensates()
    {
        var id = await testbed.Client.ScheduleNewWorkflowAsync(nameof(SupplySaga), input: new SupplyRequest("stent", 1, ApprovalTimeoutMs: 300));
        var approvalTimeout = await testbed.WaitForTimerAsync(id, 1);

        testbed.AssertTimersFireAfter(TimeSpan.FromMilliseconds(300));
        var state = await WaitAsync(id);

        Assert.Equal(TimeSpan.FromMilliseconds(300), WorkflowTestbed.Delay(approvalTimeout));
        Assert.Equal("timed-out", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Saga_WaitWithoutTimeout_NeverTimesOutAndIsAnsweredByTheEvent()
    {
        var scheduledBefore = testbed.Engine.TimersScheduled;
        var id = await testbed.Client.ScheduleNewWorkflowAsync(nameof(SupplySaga), input: new SupplyRequest("catheter", 3));
        // Both activities' results consumed: the saga now waits for the approval.
        await testbed.WaitForHistoryAsync(id, Dapr.DurableTask.Protobuf.HistoryEvent.EventTypeOneofCase.TaskCompleted, 2);
        var scheduledWhileWaiting = testbed.Engine.TimersScheduled;
        testbed.Clock.Advance(TimeSpan.FromDays(400));
        var afterAYear = await testbed.Client.GetWorkflowStateAsync(id);

        await testbed.Client.RaiseEventAsync(id, "approval", false);
        await testbed.WaitForTimerAsync(id, 1);
        testbed.AssertTimersFireAfter(TimeSpan.FromMilliseconds(100));
        var state = await WaitAsync(id);

        Assert.Equal(scheduledBefore, scheduledWhileWaiting);
        Assert.Equal(WorkflowRuntimeStatus.Running, afterAYear!.RuntimeStatus);
        Assert.Equal("rejected", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task ChildWorkflowsAndContinueAsNew_EndWithTheLastChildsResult()
    {
        var id = await testbed.Client.ScheduleNewWorkflowAsync(nameof(ParentWorkflow), input: 3);

        var state = await WaitAsync(id);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("last child 15", state.ReadOutputAs<string>());
    }

    [Fact]
    public async Task ActivityRetryPolicy_RetriesUntilItSucceeds_OrFailsTheWorkflowWhenExhausted()
    {
        var recovers = await testbed.Client.ScheduleNewWorkflowAsync(nameof(RetryingWorkflow), input: 2);
        var exhausts = await testbed.Client.ScheduleNewWorkflowAsync(nameof(RetryingWorkflow), input: 5);

        // Each failed attempt but the last waits on a retry timer of exactly the policy's 100 ms.
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            var timers = new[] { await testbed.WaitForTimerAsync(recovers, attempt), await testbed.WaitForTimerAsync(exhausts, attempt) };
            Assert.All(timers, t => Assert.Equal(TimeSpan.FromMilliseconds(100), WorkflowTestbed.Delay(t)));
            testbed.AssertTimersFireAfter(TimeSpan.FromMilliseconds(100), due: 2);
        }

        var recovered = await WaitAsync(recovers);
        var exhausted = await WaitAsync(exhausts);

        Assert.Equal("posted after 3 attempts", recovered.ReadOutputAs<string>());
        Assert.Equal(WorkflowRuntimeStatus.Failed, exhausted.RuntimeStatus);
        Assert.Equal(3, testbed.Log.Count($"Flaky:{exhausts}:5"));
    }

    [Fact]
    public async Task HundredConcurrentSagas_AllComplete()
    {
        var ids = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            testbed.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), input: i)));

        var states = await Task.WhenAll(ids.Select(WaitAsync));

        Assert.All(states, s => Assert.Equal(WorkflowRuntimeStatus.Completed, s.RuntimeStatus));
        Assert.Equal(Enumerable.Range(5, 100), states.Select(s => s.ReadOutputAs<int>()).Order());
    }

    [Fact]
    public async Task TerminateSuspendResume_ChangeTheStatus()
    {
        var suspended = await testbed.Client.ScheduleNewWorkflowAsync(nameof(SupplySaga), input: new SupplyRequest("mask", 1));
        var terminated = await testbed.Client.ScheduleNewWorkflowAsync(nameof(SupplySaga), input: new SupplyRequest("glove", 1));
        await testbed.Client.WaitForWorkflowStartAsync(suspended);
        await testbed.Client.WaitForWorkflowStartAsync(terminated);

        await testbed.Client.SuspendWorkflowAsync(suspended, "audit");
        var whileSuspended = await WaitForStatusAsync(suspended, WorkflowRuntimeStatus.Suspended);
        await testbed.Client.ResumeWorkflowAsync(suspended, "audit done");
        await testbed.Client.RaiseEventAsync(suspended, "approval", true);
        await testbed.WaitForTimerAsync(suspended, 1);
        testbed.AssertTimersFireAfter(TimeSpan.FromMilliseconds(100));
        var resumed = await WaitAsync(suspended);
        await testbed.Client.TerminateWorkflowAsync(terminated, "cancelled by test");
        var killed = await WaitAsync(terminated);

        Assert.Equal(WorkflowRuntimeStatus.Suspended, whileSuspended.RuntimeStatus);
        Assert.Equal(WorkflowRuntimeStatus.Completed, resumed.RuntimeStatus);
        Assert.Equal(WorkflowRuntimeStatus.Terminated, killed.RuntimeStatus);
        Assert.True(await testbed.Client.PurgeInstanceAsync(terminated));
        var purged = await testbed.Client.GetWorkflowStateAsync(terminated);
        Assert.True(purged is null || !purged.Exists);
    }

    [Fact]
    public async Task ListAndHistory_AreServed()
    {
        var id = await testbed.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), input: 1);
        await WaitAsync(id);

        var page = await testbed.Client.ListInstanceIdsAsync(pageSize: 1000);
        var history = await testbed.Client.GetInstanceHistoryAsync(id);

        Assert.Contains(id, page.InstanceIds);
        Assert.True(history.Count >= 12, $"history has {history.Count} events");
    }

    [Fact]
    public async Task UnknownWorkflowName_Fails()
    {
        var id = await testbed.Client.ScheduleNewWorkflowAsync("NoSuchWorkflow", input: 1);

        var state = await WaitAsync(id);

        Assert.Equal(WorkflowRuntimeStatus.Failed, state.RuntimeStatus);
        Assert.Contains("NoSuchWorkflow", state.FailureDetails!.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownInstance_IsNullOrNotFound()
    {
        var state = await testbed.Client.GetWorkflowStateAsync("no-such-instance");
        var raise = await Assert.ThrowsAnyAsync<Exception>(() => testbed.Client.RaiseEventAsync("no-such-instance", "approval", true));

        Assert.True(state is null || !state.Exists);
        Assert.Equal(StatusCode.NotFound, FindRpc(raise)!.StatusCode);
    }

    [Fact]
    public async Task OversizedInput_IsInvalidArgumentWithTheLimit()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            testbed.Client.ScheduleNewWorkflowAsync(nameof(SupplySaga), input: new SupplyRequest(new string('x', 5 * 1024 * 1024), 1)));

        var rpc = FindRpc(error)!;
        Assert.Equal(StatusCode.InvalidArgument, rpc.StatusCode);
        Assert.Contains("limit", rpc.Status.Detail, StringComparison.Ordinal);
    }

    private async Task<WorkflowState> WaitAsync(string id)
    {
        using var timeout = new CancellationTokenSource(Patience);
        return await testbed.Client.WaitForWorkflowCompletionAsync(id, cancellation: timeout.Token);
    }

    private async Task<WorkflowState> WaitForStatusAsync(string id, WorkflowRuntimeStatus status)
    {
        for (var i = 0; i < 200; i++)
        {
            var state = await testbed.Client.GetWorkflowStateAsync(id);
            if (state?.RuntimeStatus == status)
            {
                return state;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{id} never reached {status}");
    }

    private static RpcException? FindRpc(Exception? e) => e switch
    {
        null => null,
        RpcException rpc => rpc,
        _ => FindRpc(e.InnerException),
    };
}
