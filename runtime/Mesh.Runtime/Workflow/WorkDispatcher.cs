using System.Threading.Channels;
using Dapr.DurableTask.Protobuf;
using Grpc.Core;

namespace Mesh.Runtime.Workflow;

/// <summary>
/// Hands work items (workflow turns and activities) to the app's worker streams and keeps those out with a worker,
/// by completion token, until the SDK completes them. All streams read one queue, so a reconnecting worker overlaps
/// the old stream without losing anything; when a stream ends, its unfinished items are given back to the engine.
/// With <c>maxConcurrentWorkflowInvocations</c> / <c>maxConcurrentActivityInvocations</c> set, items beyond the limit
/// wait here, in order, until one of their kind completes (Dapr: "queued until the number of concurrent invocations
/// drops below this value").
/// </summary>
internal sealed class WorkDispatcher(int? maxTurns, int? maxActivities)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, InFlight> inFlight = new(StringComparer.Ordinal);
    private readonly Channel<WorkItem> outbox = Channel.CreateUnbounded<WorkItem>();
    private readonly Kind turns = new(maxTurns);
    private readonly Kind activities = new(maxActivities);

    /// <summary>Work items out with a worker or waiting for one.</summary>
    public int Count
    {
        get
        {
            lock (gate)
            {
                return inFlight.Count;
            }
        }
    }

    /// <summary>Queues a work item; its completion token is set here.</summary>
    public void Send(WorkItem item, InFlight flight)
    {
        item.CompletionToken = Guid.NewGuid().ToString("N");
        lock (gate)
        {
            inFlight[item.CompletionToken] = flight;
            var kind = KindOf(flight);
            if (kind.Out < kind.Limit)
            {
                kind.Out++;
                outbox.Writer.TryWrite(item);
            }
            else
            {
                kind.Waiting.Enqueue(item);
            }
        }
    }

    /// <summary>Takes the item a completion answers; false for a stale, duplicate or unknown token.</summary>
    public bool TryComplete(string token, out InFlight flight)
    {
        lock (gate)
        {
            if (!inFlight.Remove(token, out flight!))
            {
                return false;
            }

            Release(flight);
            return true;
        }
    }

    /// <summary>Feeds work items to one worker stream until it ends, then hands the items it left unfinished to <paramref name="abandoned"/>.</summary>
    public async Task StreamAsync(IServerStreamWriter<WorkItem> writer, Action<IReadOnlyList<InFlight>> abandoned, CancellationToken cancellationToken)
    {
        var stream = Guid.NewGuid();
        try
        {
            await foreach (var item in outbox.Reader.ReadAllAsync(cancellationToken))
            {
                lock (gate)
                {
                    if (!inFlight.TryGetValue(item.CompletionToken, out var flight))
                    {
                        continue;
                    }

                    inFlight[item.CompletionToken] = flight with { Stream = stream };
                }

                await writer.WriteAsync(item, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The worker went away or the sidecar stops.
        }
        finally
        {
            abandoned(Abandon(stream));
        }
    }

    /// <summary>No more work items: the streams end.</summary>
    public void Stop() => outbox.Writer.TryComplete();

    private List<InFlight> Abandon(Guid stream)
    {
        lock (gate)
        {
            var left = inFlight.Where(f => f.Value.Stream == stream).ToList();
            foreach (var (token, flight) in left)
            {
                inFlight.Remove(token);
                Release(flight);
            }

            return [.. left.Select(f => f.Value)];
        }
    }

    private Kind KindOf(InFlight flight) => flight.Activity is null ? turns : activities;

    // A slot of the item's kind is free again: the next waiting item of that kind goes out.
    private void Release(InFlight flight)
    {
        var kind = KindOf(flight);
        kind.Out--;
        while (kind.Out < kind.Limit && kind.Waiting.TryDequeue(out var next))
        {
            if (inFlight.ContainsKey(next.CompletionToken))
            {
                kind.Out++;
                outbox.Writer.TryWrite(next);
            }
        }
    }

    /// <summary>Turns or activities: how many are out, the limit, and those waiting for a slot.</summary>
    private sealed class Kind(int? limit)
    {
        public int Limit { get; } = limit ?? int.MaxValue;

        public int Out { get; set; }

        public Queue<WorkItem> Waiting { get; } = new();
    }
}

/// <summary>A work item out with a worker: a turn (the inbox events it consumed, its WorkflowStarted) or an activity.</summary>
/// <param name="InstanceId">The instance.</param>
/// <param name="ExecutionId">The execution it belongs to; a later execution makes it stale.</param>
/// <param name="Consumed">For a turn: how many inbox events it took.</param>
/// <param name="TurnStarted">For a turn: its WorkflowStarted event.</param>
/// <param name="Activity">For an activity: the request.</param>
/// <param name="Stream">The worker stream it was written to; empty while queued.</param>
internal sealed record InFlight(string InstanceId, string ExecutionId, int Consumed, HistoryEvent? TurnStarted, ActivityRequest? Activity, Guid Stream = default);
