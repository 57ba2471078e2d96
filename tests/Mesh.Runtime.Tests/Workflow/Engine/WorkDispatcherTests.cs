using System.Threading.Channels;
using Dapr.DurableTask.Protobuf;
using Grpc.Core;
using Mesh.Runtime.Workflow;

namespace Mesh.Runtime.Tests.Workflow.Engine;

/// <summary>Work items to worker streams: concurrency limits per kind, completions by token, and what a dropped stream leaves.</summary>
public sealed class WorkDispatcherTests
{
    [Fact]
    public async Task Send_BeyondTheLimitOfItsKind_WaitsUntilOneOfThatKindCompletes()
    {
        var dispatcher = new WorkDispatcher(maxTurns: 1, maxActivities: null);
        var stream = new Worker();
        using var stop = new CancellationTokenSource();
        var streaming = dispatcher.StreamAsync(stream, _ => { }, stop.Token);

        var first = Turn(dispatcher, "a");
        Turn(dispatcher, "b");
        Activity(dispatcher, "c");
        var delivered = new[] { await stream.NextAsync(), await stream.NextAsync() };
        var heldBack = stream.Pending;
        Assert.True(dispatcher.TryComplete(first.CompletionToken, out var completed));
        var released = await stream.NextAsync();

        Assert.Equal(["a", "c"], delivered.Select(Instance));
        Assert.Equal(0, heldBack);
        Assert.Equal("a", completed.InstanceId);
        Assert.Equal("b", Instance(released));
        Assert.Equal(2, dispatcher.Count);
        await stop.CancelAsync();
        await streaming;
    }

    [Fact]
    public void TryComplete_UnknownOrRepeatedToken_IsFalse()
    {
        var dispatcher = new WorkDispatcher(null, null);
        var item = Turn(dispatcher, "a");

        var first = dispatcher.TryComplete(item.CompletionToken, out _);
        var again = dispatcher.TryComplete(item.CompletionToken, out _);
        var unknown = dispatcher.TryComplete("no-such-token", out _);

        Assert.Equal((true, false, false), (first, again, unknown));
        Assert.Equal(0, dispatcher.Count);
    }

    [Fact]
    public async Task StreamAsync_WorkerGoesAway_ItsUnfinishedItemsAreHandedBackAndFreeTheirSlots()
    {
        var dispatcher = new WorkDispatcher(maxTurns: 1, maxActivities: 1);
        var stream = new Worker();
        using var stop = new CancellationTokenSource();
        IReadOnlyList<InFlight> left = [];
        var streaming = dispatcher.StreamAsync(stream, abandoned => left = abandoned, stop.Token);
        Turn(dispatcher, "a");
        Activity(dispatcher, "b");
        await stream.NextAsync();
        await stream.NextAsync();

        await stop.CancelAsync();
        await streaming;
        Turn(dispatcher, "c");
        var next = new Worker();
        using var stopNext = new CancellationTokenSource();
        var streamingNext = dispatcher.StreamAsync(next, _ => { }, stopNext.Token);
        var afterwards = await next.NextAsync();

        Assert.Equal(["a", "b"], left.Select(f => f.InstanceId).Order());
        Assert.Equal("c", Instance(afterwards));
        await stopNext.CancelAsync();
        await streamingNext;
    }

    private static WorkItem Turn(WorkDispatcher dispatcher, string instance)
    {
        var item = new WorkItem { WorkflowRequest = new WorkflowRequest { InstanceId = instance } };
        dispatcher.Send(item, new InFlight(instance, "e", 1, new HistoryEvent(), null));
        return item;
    }

    private static void Activity(WorkDispatcher dispatcher, string instance)
    {
        var request = new ActivityRequest { Name = "step", WorkflowInstance = new Dapr.DurableTask.Protobuf.WorkflowInstance { InstanceId = instance } };
        dispatcher.Send(new WorkItem { ActivityRequest = request }, new InFlight(instance, "e", 0, null, request));
    }

    private static string Instance(WorkItem item) => item.WorkflowRequest?.InstanceId ?? item.ActivityRequest.WorkflowInstance.InstanceId;

    /// <summary>The server side of a GetWorkItems stream, as gRPC hands it to the handler, recording what is written.</summary>
    private sealed class Worker : IServerStreamWriter<WorkItem>
    {
        private readonly Channel<WorkItem> written = Channel.CreateUnbounded<WorkItem>();

        public WriteOptions? WriteOptions { get; set; }

        public int Pending => written.Reader.Count;

        public Task WriteAsync(WorkItem message)
        {
            written.Writer.TryWrite(message);
            return Task.CompletedTask;
        }

        public Task WriteAsync(WorkItem message, CancellationToken cancellationToken) => WriteAsync(message);

        public async Task<WorkItem> NextAsync()
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            return await written.Reader.ReadAsync(patience.Token);
        }
    }
}
