using Dapr.Workflow;
using Mesh.Runtime.Configuration;
using Mesh.Testing;

namespace Mesh.Runtime.Tests.Workflow;

/// <summary>
/// Nothing kept forever: finished instances leave the engine's memory, and the app's stateRetentionPolicy purges
/// them from the store at exactly the time it gives (on the testbed's fake clock), as Dapr does.
/// </summary>
public sealed class WorkflowRetentionTests
{
    private static readonly DaprConfiguration Policy = new("appconfig", "config.yaml", new WorkflowSpec(null, null,
        new StateRetentionPolicy(AnyTerminal: TimeSpan.FromHours(3), Completed: TimeSpan.FromHours(1), Failed: null, Terminated: null)));

    [Fact]
    public async Task Finished_LeaveMemory_TheEngineHoldsOnlyWhatIsInFlight()
    {
        await using var testbed = new WorkflowTestbed();
        await testbed.InitializeAsync();
        var waiting = await testbed.Client.ScheduleNewWorkflowAsync(nameof(SupplySaga), input: new SupplyRequest("gown", 1));
        var chains = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => testbed.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), input: i)));
        await Task.WhenAll(chains.Select(id => WaitAsync(testbed, id)));

        var held = await EventuallyAsync(() => testbed.Engine.InstancesInMemory, 1);
        var stored = await testbed.Client.GetWorkflowStateAsync(chains[7]);
        var history = await testbed.Client.GetInstanceHistoryAsync(chains[7]);
        await testbed.Client.RaiseEventAsync(waiting, "approval", true);
        await testbed.WaitForTimerAsync(waiting, 1);
        testbed.AssertTimersFireAfter(TimeSpan.FromMilliseconds(100));
        await WaitAsync(testbed, waiting);
        var heldAtTheEnd = await EventuallyAsync(() => testbed.Engine.InstancesInMemory, 0);

        // Only the saga waiting for its approval was held; the finished chains answer from the store.
        Assert.Equal(1, held);
        Assert.Equal((WorkflowRuntimeStatus.Completed, 12), (stored!.RuntimeStatus, stored.ReadOutputAs<int>()));
        Assert.True(history.Count >= 12, $"history has {history.Count} events");
        Assert.Equal((0, 0, 0), (heldAtTheEnd, testbed.Engine.WorkItemsInFlight, testbed.Engine.TimersScheduled));
    }

    [Fact]
    public async Task StateRetentionPolicy_PurgesEachStatusAtItsTime_NotBefore()
    {
        await using var testbed = new WorkflowTestbed { Configuration = Policy };
        await testbed.InitializeAsync();
        var completed = await testbed.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), input: 1);
        var failed = await testbed.Client.ScheduleNewWorkflowAsync("NoSuchWorkflow", input: 1);
        await WaitAsync(testbed, completed);
        await WaitAsync(testbed, failed);

        // Nothing moved the clock: both finished now, so completed goes after 1h and failed after 3h (anyTerminal).
        testbed.Clock.Advance(TimeSpan.FromHours(1) - TimeSpan.FromMilliseconds(1));
        var justBefore = await ExistsAsync(testbed, completed);
        testbed.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var completedGone = await GoneAsync(testbed, completed);
        var failedAfter1h = await ExistsAsync(testbed, failed);
        testbed.Clock.Advance(TimeSpan.FromHours(2) - TimeSpan.FromMilliseconds(1));
        var failedJustBefore = await ExistsAsync(testbed, failed);
        testbed.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var failedGone = await GoneAsync(testbed, failed);

        Assert.Equal((true, true, true, true, true), (justBefore, completedGone, failedAfter1h, failedJustBefore, failedGone));
        Assert.DoesNotContain(completed, (await testbed.Client.ListInstanceIdsAsync(pageSize: 1000)).InstanceIds);
    }

    [Fact]
    public async Task ShippedWorkflowsConfiguration_PurgesCompletedAfterAWeekAndFailedOrTerminatedAfterAMonth()
    {
        var shipped = DaprConfigurationLoader.Load(Path.Combine(Repository.Root, "config", "workflows.yaml"));
        await using var testbed = new WorkflowTestbed { Configuration = shipped };
        await testbed.InitializeAsync();
        var completed = await testbed.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), input: 1);
        var failed = await testbed.Client.ScheduleNewWorkflowAsync("NoSuchWorkflow", input: 1);
        var terminated = await testbed.Client.ScheduleNewWorkflowAsync(nameof(SupplySaga), input: new SupplyRequest("gown", 1));
        await testbed.Client.WaitForWorkflowStartAsync(terminated);
        await testbed.Client.TerminateWorkflowAsync(terminated, "cancelled by test");
        foreach (var id in new[] { completed, failed, terminated })
        {
            await WaitAsync(testbed, id);
        }

        var (week, month) = (TimeSpan.FromDays(7), TimeSpan.FromDays(30));
        testbed.Clock.Advance(week - TimeSpan.FromMilliseconds(1));
        var completedJustBefore = await ExistsAsync(testbed, completed);
        var history = await testbed.Client.GetInstanceHistoryAsync(completed);
        testbed.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var completedGone = await GoneAsync(testbed, completed);
        testbed.Clock.Advance(month - week - TimeSpan.FromMilliseconds(1));
        var othersJustBefore = (await ExistsAsync(testbed, failed), await ExistsAsync(testbed, terminated));
        testbed.Clock.Advance(TimeSpan.FromMilliseconds(1));
        var othersGone = (await GoneAsync(testbed, failed), await GoneAsync(testbed, terminated));

        Assert.Equal((true, true), (completedJustBefore, completedGone));
        Assert.NotEmpty(history);
        Assert.Equal((true, true), othersJustBefore);
        Assert.Equal((true, true), othersGone);
        Assert.Empty((await testbed.Client.ListInstanceIdsAsync(pageSize: 1000)).InstanceIds);
    }

    [Fact]
    public async Task StateRetentionPolicy_HistorySurvivesARestartUntilItsRetentionEnds()
    {
        await using var testbed = new RedisWorkflowTestbed { Configuration = Policy };
        await testbed.InitializeAsync();
        var id = await testbed.Client.ScheduleNewWorkflowAsync(nameof(ChainWorkflow), input: 10);
        await WaitAsync(testbed, id);
        testbed.Clock.Advance(TimeSpan.FromMinutes(30));

        await testbed.StopAsync();
        await testbed.StartAsync();
        var afterRestart = await testbed.Client.GetWorkflowStateAsync(id);
        var history = await testbed.Client.GetInstanceHistoryAsync(id);
        var heldAfterRestart = testbed.Engine.InstancesInMemory;
        testbed.Clock.Advance(TimeSpan.FromMinutes(30) - TimeSpan.FromMilliseconds(1));
        var justBefore = await ExistsAsync(testbed, id);
        testbed.Clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(15, afterRestart!.ReadOutputAs<int>());
        Assert.True(history.Count >= 12, $"history has {history.Count} events");
        Assert.Equal(0, heldAfterRestart);
        Assert.True(justBefore);
        Assert.True(await GoneAsync(testbed, id));
    }

    private static async Task WaitAsync(WorkflowTestbed testbed, string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await testbed.Client.WaitForWorkflowCompletionAsync(id, cancellation: timeout.Token);
    }

    private static async Task<bool> ExistsAsync(WorkflowTestbed testbed, string id) =>
        await testbed.Client.GetWorkflowStateAsync(id) is { Exists: true };

    // The purge runs in the store writer's order, a moment after the timer fired: poll for it (real time).
    private static async Task<bool> GoneAsync(WorkflowTestbed testbed, string id)
    {
        for (var i = 0; i < 400; i++)
        {
            if (!await ExistsAsync(testbed, id))
            {
                return true;
            }

            await Task.Delay(25);
        }

        return false;
    }

    // Finished instances leave memory once their last write is stored, a moment after the completion is answered.
    private static async Task<int> EventuallyAsync(Func<int> read, int expected)
    {
        for (var i = 0; i < 400 && read() != expected; i++)
        {
            await Task.Delay(25);
        }

        return read();
    }
}
