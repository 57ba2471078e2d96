using Dapr.Client;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Workflows.V1;
using Mesh.Testing;
using Mesh.Workflows.Cases;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>
/// The case store and its paged exception queue through a real sidecar on real Redis, with segments of three entries
/// so a few cases span several, and a fake clock for queue times.
/// </summary>
public sealed class CaseStoreTests(CaseStoreTests.Sidecar sidecar) : IClassFixture<CaseStoreTests.Sidecar>
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero));
    private readonly System.Collections.Concurrent.ConcurrentQueue<int> depths = new();
    private readonly string flow = $"t{Guid.NewGuid():N}"[..12];

    [Fact]
    public async Task ListExceptions_AcrossSegmentsWithOneEmptied_PagesInQueueOrderAndDropsTheEmptySegment()
    {
        var store = Store();
        for (var i = 0; i < 10; i++)
        {
            await store.RecordAsync(Exception($"e{i}", "unknown_item"), unlessRecorded: false, CancellationToken.None);
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        foreach (var id in new[] { "e3", "e4", "e5", "e7" })
        {
            await store.DismissAsync(id, "", CancellationToken.None);
        }

        var (listed, pages) = await ListAllAsync(store, reason: null, before: null, pageSize: 2);

        Assert.Equal(["e0", "e1", "e2", "e6", "e8", "e9"], listed.Select(Id));
        Assert.Equal(3, pages);
        Assert.Equal(6, depths.Last());
        // Segment 1 held e3-e5: emptied, it is gone, and no page reads it.
        Assert.Null(await sidecar.Dapr.GetStateAsync<object>("statestore", $"{flow}:exceptions:1"));
        Assert.NotNull(await sidecar.Dapr.GetStateAsync<object>("statestore", $"{flow}:exceptions:2"));
    }

    [Fact]
    public async Task ListExceptions_ByReason_ListsThatReasonsViewOnly()
    {
        var store = Store();
        for (var i = 0; i < 8; i++)
        {
            await store.RecordAsync(Exception($"e{i}", i % 3 == 0 ? "unknown_location" : "unknown_item"), unlessRecorded: false, CancellationToken.None);
        }

        var (locations, pages) = await ListAllAsync(store, "unknown_location", before: null, pageSize: 1);
        var (items, _) = await ListAllAsync(store, "unknown_item", before: null, pageSize: 100);

        Assert.Equal(["e0", "e3", "e6"], locations.Select(Id));
        Assert.Equal(3, pages);
        Assert.Equal(["e1", "e2", "e4", "e5", "e7"], items.Select(Id));
    }

    [Fact]
    public async Task Record_ClockSetBack_QueueTimesStillGrow_SoQueuedBeforeStopsAtTheNewer()
    {
        var store = Store();
        clock.Advance(TimeSpan.FromMinutes(10));
        await store.RecordAsync(Exception("first", "erp_unavailable"), unlessRecorded: false, CancellationToken.None);
        clock.AdjustTime(clock.GetUtcNow() - TimeSpan.FromMinutes(5));
        await store.RecordAsync(Exception("second", "erp_unavailable"), unlessRecorded: false, CancellationToken.None);
        var (first, second) = (await store.GetAsync("first", CancellationToken.None), await store.GetAsync("second", CancellationToken.None));

        var (before, _) = await ListAllAsync(store, null, second!.QueueTime.ToDateTimeOffset(), pageSize: 10);

        Assert.Equal(first!.QueueTime.ToDateTimeOffset().AddTicks(1), second.QueueTime.ToDateTimeOffset());
        Assert.Equal(["first"], before.Select(Id));
    }

    [Fact]
    public async Task Record_SameConclusionAgain_KeepsItsPlace_ACompletedReplayLeavesTheQueue()
    {
        var store = Store();
        var parked = Exception("a", "erp_unavailable");
        await store.RecordAsync(parked, unlessRecorded: false, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(1));
        await store.RecordAsync(Exception("b", "erp_unavailable"), unlessRecorded: false, CancellationToken.None);
        var queuedAt = (await store.GetAsync("a", CancellationToken.None))!.QueueTime;

        // A conclusion activity retried after a crash records the same conclusion again.
        clock.Advance(TimeSpan.FromSeconds(1));
        await store.RecordAsync(parked, unlessRecorded: false, CancellationToken.None);
        var (again, _) = await ListAllAsync(store, null, null, pageSize: 10);
        await store.RecordAsync(new Case(parked) { State = CaseState.Completed, Reason = "", ConcludeTime = Timestamp.FromDateTimeOffset(clock.GetUtcNow()) }, unlessRecorded: false, CancellationToken.None);
        var (after, _) = await ListAllAsync(store, "erp_unavailable", null, pageSize: 10);

        Assert.Equal(["a", "b"], again.Select(Id));
        Assert.Equal(queuedAt, again[0].QueueTime);
        Assert.Equal(["b"], after.Select(Id));
        Assert.Equal([1, 2, 1], depths);
        Assert.Equal(CaseState.Completed, (await store.GetAsync("a", CancellationToken.None))!.State);
    }

    [Fact]
    public async Task RecordRun_ReplayStartedThenConcluded_ListsEachRunOnceInOrderWithTheAnswer_AndTheCaseKeepsItsPlace()
    {
        var store = Store();
        var parked = new Case(Exception("a", "erp_unavailable")) { RunInstanceIds = { FirstRun("a") } };
        await store.RecordAsync(parked, unlessRecorded: false, CancellationToken.None);
        var replayId = store.ReplayIdOf(parked);
        var answer = new ReplayExceptionResponse { ReplayId = replayId, Started = true };
        var queuedAt = (await store.GetAsync("a", CancellationToken.None))!.QueueTime;

        await store.RecordRunAsync("a", replayId, "req-1", answer, CancellationToken.None);
        await store.RecordRunAsync("a", replayId, "", null, CancellationToken.None);
        var replaying = await store.GetAsync("a", CancellationToken.None);
        var (queued, _) = await ListAllAsync(store, null, null, pageSize: 10);
        clock.Advance(TimeSpan.FromSeconds(1));
        var completed = new Case(parked) { State = CaseState.Completed, Reason = "", ConcludeTime = Timestamp.FromDateTimeOffset(clock.GetUtcNow()) };
        completed.RunInstanceIds.Clear();
        completed.RunInstanceIds.Add(replayId);
        await store.RecordAsync(completed, unlessRecorded: false, CancellationToken.None);

        Assert.Equal($"run-a-replay-{parked.ConcludeTime.ToDateTimeOffset().UtcTicks}", replayId);
        Assert.Equal([FirstRun("a"), replayId], replaying!.RunInstanceIds);
        Assert.Equal((CaseState.Exception, queuedAt), (replaying.State, replaying.QueueTime));
        Assert.Equal(["a"], queued.Select(Id));
        Assert.Equal(answer, await store.AnswerAsync("req-1", parked.Name, ReplayExceptionResponse.Parser, CancellationToken.None));
        var concluded = await store.GetAsync("a", CancellationToken.None);
        Assert.Equal(CaseState.Completed, concluded!.State);
        Assert.Equal([FirstRun("a"), replayId], concluded.RunInstanceIds);
    }

    [Fact]
    public void RunsOf_CaseRecordedBeforeRunsWereListed_IsItsFirstRunWhenASagaRanIt_NoneWhenNone()
    {
        var store = Store();
        var ranBySaga = new Case(Exception("a", "erp_unavailable")) { Steps = { new CaseStep { Step = "validate" } } };

        Assert.Equal([FirstRun("a")], store.RunsOf(ranBySaga));
        Assert.Empty(store.RunsOf(Exception("b", "dead_lettered")));
    }

    [Fact]
    public async Task Record_ExceptionAlreadyRecorded_UnlessRecordedKeepsTheFirst()
    {
        var store = Store();
        await store.RecordAsync(Exception("a", "insufficient_stock"), unlessRecorded: false, CancellationToken.None);

        await store.RecordAsync(Exception("a", "dead_lettered"), unlessRecorded: true, CancellationToken.None);

        Assert.Equal("insufficient_stock", (await store.GetAsync("a", CancellationToken.None))!.Reason);
        Assert.Empty((await ListAllAsync(store, "dead_lettered", null, 10)).Cases);
    }

    [Fact]
    public async Task Record_ConcurrentlyFromTwoReplicas_LosesNoEntryAndKeepsQueueTimesApart()
    {
        // Two app replicas: each has its own in-process gate, so they meet only at the store's ETags.
        var (one, two) = (Store(TimeProvider.System), Store(TimeProvider.System));

        await Parallel.ForEachAsync(Enumerable.Range(0, 30), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            await (i % 2 == 0 ? one : two).RecordAsync(Exception($"e{i}", i % 3 == 0 ? "erp_unavailable" : "unknown_item"), unlessRecorded: false, ct));
        var (listed, _) = await ListAllAsync(one, null, null, pageSize: 7);
        var (byReason, _) = await ListAllAsync(two, "erp_unavailable", null, pageSize: 7);

        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"e{i}").Order(), listed.Select(Id).Order());
        Assert.Equal(listed.Count, listed.Select(c => c.QueueTime).Distinct().Count());
        Assert.Equal(listed.OrderBy(c => c.QueueTime).Select(Id), listed.Select(Id));
        Assert.Equal(10, byReason.Count);
    }

    [Fact]
    public async Task Record_ManyAtOnceEachConcludedTwice_EachCaseRecordedOnceInTheLogAndOnItsReasonsView()
    {
        // Conclusions that arrive together are written in groups; two conclusions of one case race at its ETag.
        var store = Store(TimeProvider.System);

        await Parallel.ForEachAsync(Enumerable.Range(0, 80), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
            await store.RecordAsync(Exception($"e{i / 2}", i % 2 == 0 ? "unknown_item" : "dead_lettered"), unlessRecorded: true, ct));
        var (concluded, _) = await Mesh.Contracts.Pages.AllAsync<Case>(async token => await store.ListConcludedAsync(9, token, CancellationToken.None));
        var (queued, _) = await ListAllAsync(store, null, null, pageSize: 9);
        var (items, _) = await ListAllAsync(store, "unknown_item", null, pageSize: 100);
        var (deadLettered, _) = await ListAllAsync(store, "dead_lettered", null, pageSize: 100);

        var ids = Enumerable.Range(0, 40).Select(i => $"e{i}").Order();
        Assert.Equal(ids, concluded.Select(Id).Order());
        Assert.Equal(ids, queued.Select(Id).Order());
        Assert.Equal(ids, items.Concat(deadLettered).Select(Id).Order());
        Assert.All(queued, c => Assert.Contains(c.Name, (c.Reason == "unknown_item" ? items : deadLettered).Select(r => r.Name)));
        Assert.Equal(queued.OrderBy(c => c.QueueTime).Select(Id), queued.Select(Id));
        Assert.Equal(40, depths.Last());
    }

    [Fact]
    public async Task ListConcluded_CasesReplayedOrDismissed_ListsEachOnceInFirstConclusionOrderAsItIsNow()
    {
        var store = Store();
        var parked = Exception("a", "erp_unavailable");
        await store.RecordAsync(parked, unlessRecorded: false, CancellationToken.None);
        await store.RecordAsync(new Case(Exception("b", "")) { State = CaseState.Completed }, unlessRecorded: false, CancellationToken.None);
        for (var i = 0; i < 5; i++)
        {
            await store.RecordAsync(Exception($"e{i}", "unknown_item"), unlessRecorded: false, CancellationToken.None);
        }

        // "a" is replayed and completes; "e0" is dismissed; "e1"'s conclusion is recorded again after a crash.
        clock.Advance(TimeSpan.FromSeconds(1));
        await store.RecordAsync(new Case(parked) { State = CaseState.Completed, Reason = "", ConcludeTime = Timestamp.FromDateTimeOffset(clock.GetUtcNow()) }, unlessRecorded: false, CancellationToken.None);
        await store.DismissAsync("e0", "", CancellationToken.None);
        await store.RecordAsync(Exception("e1", "dead_lettered"), unlessRecorded: true, CancellationToken.None);
        var (listed, pages) = await Mesh.Contracts.Pages.AllAsync<Case>(async token => await store.ListConcludedAsync(2, token, CancellationToken.None));

        Assert.Equal(["a", "b", "e0", "e1", "e2", "e3", "e4"], listed.Select(Id));
        Assert.Equal(4, pages);
        Assert.Equal(
            [CaseState.Completed, CaseState.Completed, CaseState.Dismissed, CaseState.Exception, CaseState.Exception, CaseState.Exception, CaseState.Exception],
            listed.Select(c => c.State));
        Assert.Equal("unknown_item", listed[3].Reason);
    }

    private CaseStore Store(TimeProvider? time = null) => new(sidecar.Dapr, "statestore", flow, FirstRun, time ?? clock, d => depths.Enqueue(d.Total), segmentSize: 3);

    private static string FirstRun(string caseId) => $"run-{caseId}";

    private Case Exception(string id, string reason) => new()
    {
        Name = CaseNames.Of(flow, id),
        State = CaseState.Exception,
        Reason = reason,
        Replayable = true,
        ConcludeTime = Timestamp.FromDateTimeOffset(clock.GetUtcNow()),
    };

    private static string Id(Case c) => c.Name[(c.Name.LastIndexOf('/') + 1)..];

    private static async Task<(List<Case> Cases, int Pages)> ListAllAsync(CaseStore store, string? reason, DateTimeOffset? before, int pageSize) =>
        await Mesh.Contracts.Pages.AllAsync<Case>(async token => await store.ListExceptionsAsync(reason, before, pageSize, token, CancellationToken.None));

    /// <summary>Redis, the components, and a sidecar for the store's Dapr client.</summary>
    public sealed class Sidecar : IAsyncLifetime
    {
        private TestMesh mesh = null!;

        public DaprClient Dapr { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            mesh = await TestMesh.StartAsync(TestApp.Client("cases"));
            Dapr = new DaprClientBuilder().UseGrpcEndpoint(mesh.GrpcEndpointOf("cases")).UseHttpEndpoint(mesh.HttpEndpointOf("cases")).Build();
        }

        public async Task DisposeAsync()
        {
            Dapr.Dispose();
            await mesh.DisposeAsync();
        }
    }
}
