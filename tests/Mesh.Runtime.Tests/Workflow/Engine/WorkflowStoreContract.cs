using Dapr.DurableTask.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Runtime.Components;
using Mesh.Runtime.Tests.Components;
using Mesh.Runtime.Workflow;

namespace Mesh.Runtime.Tests.Workflow.Engine;

/// <summary>What the engine needs of a workflow store, run against each store (like the component contracts).</summary>
public abstract class WorkflowStoreContract
{
    /// <summary>A new, empty store of the type under test.</summary>
    protected abstract IWorkflowStore CreateStore();

    [Fact]
    public async Task SaveAsync_ThenLoad_GivesTheSnapshotBack()
    {
        using var store = CreateStore();
        var saved = Snapshot("a", 1, OrchestrationStatus.Running, created: true);

        await store.SaveAsync([saved], []);
        var loaded = await store.LoadAsync("a");

        Assert.Equal(saved.Read().State, loaded!.State);
        Assert.Equal(["approval"], loaded.History.Select(e => e.EventRaised.Name));
        Assert.Null(await store.LoadAsync("nobody"));
    }

    [Fact]
    public async Task LoadUnfinished_HoldsOnlyUnfinishedInstances_OldestFirst()
    {
        using var store = CreateStore();
        await store.SaveAsync([Snapshot("late", 3, OrchestrationStatus.Running, created: true), Snapshot("early", 1, OrchestrationStatus.Pending, created: true)], []);
        await store.SaveAsync([Snapshot("done", 2, OrchestrationStatus.Running, created: true)], []);
        await store.SaveAsync([Snapshot("done", 2, OrchestrationStatus.Completed, created: false)], []);

        var unfinished = store.LoadUnfinished();

        Assert.Equal(["early", "late"], unfinished.Select(r => r.State.InstanceId));
        Assert.Equal(["early", "done", "late"], await store.ListAsync(0, 10));
        Assert.Equal(["done"], await store.ListAsync(1, 1));
    }

    [Fact]
    public async Task PurgeExpiredAsync_RemovesWhatIsDueOnly_AndNextPurgeMovesOn()
    {
        using var store = CreateStore();
        await store.SaveAsync(
        [
            Snapshot("soon", 1, OrchestrationStatus.Completed, created: true, purgeAtMs: 1_000),
            Snapshot("later", 2, OrchestrationStatus.Failed, created: true, purgeAtMs: 5_000),
            Snapshot("kept", 3, OrchestrationStatus.Terminated, created: true),
        ], []);

        var before = await store.NextPurgeAsync();
        var early = await store.PurgeExpiredAsync(999, 10);
        var due = await store.PurgeExpiredAsync(1_000, 10);
        var after = await store.NextPurgeAsync();

        Assert.Equal((1_000L, 0, 1, 5_000L), (before, early, due, after));
        Assert.Null(await store.LoadAsync("soon"));
        Assert.Equal(["later", "kept"], await store.ListAsync(0, 10));
    }

    [Fact]
    public async Task SaveAsync_StartedAgainUnderAFinishedId_DropsTheOldPurgeTime()
    {
        using var store = CreateStore();
        await store.SaveAsync([Snapshot("a", 1, OrchestrationStatus.Completed, created: true, purgeAtMs: 1_000)], []);

        await store.SaveAsync([Snapshot("a", 2, OrchestrationStatus.Running, created: true)], []);
        var purged = await store.PurgeExpiredAsync(10_000, 10);

        Assert.Equal(0, purged);
        Assert.Null(await store.NextPurgeAsync());
        Assert.Equal(["a"], store.LoadUnfinished().Select(r => r.State.InstanceId));
    }

    [Fact]
    public async Task SaveAsync_Removed_IsGoneEverywhere()
    {
        using var store = CreateStore();
        await store.SaveAsync([Snapshot("a", 1, OrchestrationStatus.Completed, created: true, purgeAtMs: 1_000), Snapshot("b", 2, OrchestrationStatus.Running, created: true)], []);

        await store.SaveAsync([], ["a", "b"]);

        Assert.Null(await store.LoadAsync("a"));
        Assert.Empty(await store.ListAsync(0, 10));
        Assert.Empty(store.LoadUnfinished());
        Assert.Null(await store.NextPurgeAsync());
    }

    private static StoredInstance Snapshot(string id, long createdSeconds, OrchestrationStatus status, bool created, long? purgeAtMs = null)
    {
        var state = new WorkflowState
        {
            InstanceId = id,
            Name = "Saga",
            WorkflowStatus = status,
            CreatedTimestamp = new Timestamp { Seconds = createdSeconds },
            LastUpdatedTimestamp = new Timestamp { Seconds = createdSeconds },
            ExecutionId = "e",
            Input = "\"x\"",
        };
        return StoredInstance.Of(new WorkflowInstanceRecord(state, [new HistoryEvent { EventId = -1, EventRaised = new EventRaisedEvent { Name = "approval" } }], []), created, purgeAtMs);
    }
}

public sealed class InMemoryWorkflowStoreTests : WorkflowStoreContract
{
    protected override IWorkflowStore CreateStore() => new InMemoryWorkflowStore();
}

public sealed class RedisWorkflowStoreTests(RedisFixture redis) : WorkflowStoreContract, IClassFixture<RedisFixture>
{
    // A fresh app id per store: the tests share one Redis.
    protected override IWorkflowStore CreateStore() => new RedisWorkflowStore(
        TestComponents.Define("statestore", "state.redis", ("redisHost", redis.Server.ConnectionString), ("actorStateStore", "true")),
        TestComponents.Unique("app"));

    [Fact]
    public async Task LoadUnfinished_DataWrittenBeforeTheActiveSet_IsReadWholeOnceAndTheSetBuilt()
    {
        var appId = TestComponents.Unique("app");
        var prefix = $"{appId}||mesh.workflow||";
        using (var store = new RedisWorkflowStore(TestComponents.Define("statestore", "state.redis", ("redisHost", redis.Server.ConnectionString)), appId))
        {
            await store.SaveAsync([StoredInstance.Of(new WorkflowInstanceRecord(new WorkflowState { InstanceId = "old", WorkflowStatus = OrchestrationStatus.Running, CreatedTimestamp = new Timestamp() }, [], []), created: true, null)], []);
        }

        await redis.Database.KeyDeleteAsync(prefix + "active");
        using var reopened = new RedisWorkflowStore(TestComponents.Define("statestore", "state.redis", ("redisHost", redis.Server.ConnectionString)), appId);
        var unfinished = reopened.LoadUnfinished();

        Assert.Equal(["old"], unfinished.Select(r => r.State.InstanceId));
        Assert.True(await redis.Database.SetContainsAsync(prefix + "active", "old"));
    }
}
