using Dapr.Workflow;
using Dapr.Workflow.Client;

namespace Mesh.Runtime.Tests.Workflow;

/// <summary>Workflows in Redis survive a restart of the sidecar and the app, and resume exactly where they were.</summary>
public sealed class DurableWorkflowTests(RedisWorkflowTestbed testbed) : IClassFixture<RedisWorkflowTestbed>
{
    [Fact]
    public async Task Restart_WhileWaitingForAnEvent_ResumesAndCompletesOnce()
    {
        var (reserved, charged) = (testbed.Log.Count(nameof(ReserveStock)), testbed.Log.Count(nameof(CaptureCharge)));
        var id = await testbed.Client.ScheduleNewWorkflowAsync(nameof(SupplySaga), input: new SupplyRequest("durable", 1));
        // Both activities' results are in the history (the engine saved them), not merely started.
        await WaitForCompletedActivitiesAsync(id, 2);

        await testbed.StopAsync();
        await testbed.StartAsync();
        await testbed.Client.RaiseEventAsync(id, "approval", true);
        await testbed.WaitForTimerAsync(id, 1);
        testbed.AssertTimersFireAfter(TimeSpan.FromMilliseconds(100));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var state = await testbed.Client.WaitForWorkflowCompletionAsync(id, cancellation: timeout.Token);

        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("approved:res-durable-1", state.ReadOutputAs<string>());
        // Each activity ran once: the restart re-ran nothing that had already finished.
        Assert.Equal(reserved + 1, testbed.Log.Count(nameof(ReserveStock)));
        Assert.Equal(charged + 1, testbed.Log.Count(nameof(CaptureCharge)));
    }

    [Fact]
    public async Task Restart_DuringADurableTimer_TheTimerStillFiresAtItsTime()
    {
        var id = await testbed.Client.ScheduleNewWorkflowAsync(nameof(SupplySaga), input: new SupplyRequest("timer", 1, CoolDownMs: 2000));
        await testbed.Client.RaiseEventAsync(id, "approval", true);
        var coolDown = await testbed.WaitForTimerAsync(id, 1);

        await testbed.StopAsync();
        await testbed.StartAsync();
        // The restarted engine rescheduled the cool-down from the history; nothing moved the clock yet.
        testbed.AssertTimersFireAfter(TimeSpan.FromSeconds(2));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var state = await testbed.Client.WaitForWorkflowCompletionAsync(id, cancellation: timeout.Token);

        Assert.Equal(TimeSpan.FromSeconds(2), WorkflowTestbed.Delay(coolDown));
        Assert.Equal("approved:res-timer-1", state.ReadOutputAs<string>());
        Assert.Equal(TimeSpan.FromSeconds(2), state.LastUpdatedAt - state.CreatedAt);
    }

    [Fact]
    public async Task Restart_WithManyChainsInFlight_EveryChainCompletesWithTheRightResult()
    {
        // Counted before scheduling: the chains may be well under way by the time scheduling returns.
        var increments = testbed.Log.Count(nameof(Increment));
        var ids = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => testbed.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), input: i * 100)));
        await WaitForAsync(() => testbed.Log.Count(nameof(Increment)) >= increments + 20);

        await testbed.StopAsync();
        await testbed.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var states = await Task.WhenAll(ids.Select(id => testbed.Client.WaitForWorkflowCompletionAsync(id, cancellation: timeout.Token)));

        Assert.Equal(Enumerable.Range(0, 30).Select(i => i * 100 + 5), states.Select(s => s.ReadOutputAs<int>()).Order());
    }

    private async Task WaitForCompletedActivitiesAsync(string id, int count)
    {
        for (var i = 0; i < 400; i++)
        {
            var history = await testbed.Client.GetInstanceHistoryAsync(id);
            if (history.Count(e => e.EventType == WorkflowHistoryEventType.TaskCompleted) >= count)
            {
                return;
            }

            await Task.Delay(25);
        }

        Assert.Fail($"{id} did not complete {count} activities");
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 400 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition(), "the workflow did not get that far");
    }
}
