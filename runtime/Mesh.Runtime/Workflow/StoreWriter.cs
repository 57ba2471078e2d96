using System.Threading.Channels;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Mesh.Runtime.Workflow;

/// <summary>
/// The engine's one writer to its <see cref="IWorkflowStore"/>: operations are written in the order they were
/// queued, off the engine's lock; writes waiting together go in one transaction (a later snapshot of an instance
/// replaces an earlier one, a removal drops it), and a retention purge runs between writes, never beside one.
/// </summary>
internal sealed class StoreWriter : IAsyncDisposable
{
    private const int MaxGroup = 64;

    private readonly IWorkflowStore store;
    private readonly ILogger logger;
    private readonly Channel<Operation> operations = Channel.CreateUnbounded<Operation>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task writing;

    public StoreWriter(IWorkflowStore store, ILogger logger)
    {
        this.store = store;
        this.logger = logger;
        writing = Task.Run(WriteAsync);
    }

    /// <summary>Queues a write; the task completes once it is stored (UNAVAILABLE when the store failed).</summary>
    public Task WriteAsync(IReadOnlyList<StoredInstance> changed, IReadOnlyList<string> removed) =>
        Queue(new Operation(changed, removed, PurgeBeforeMs: null));

    /// <summary>Queues a purge of what expired at or before <paramref name="nowMs"/>; the task gives how many instances went.</summary>
    public Task<int> PurgeExpiredAsync(long nowMs) => Queue(new Operation([], [], nowMs));

    /// <summary>Writes what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        operations.Writer.TryComplete();
        await writing;
    }

    private Task<int> Queue(Operation operation)
    {
        if (!operations.Writer.TryWrite(operation))
        {
            operation.Done.TrySetException(new RpcException(new Status(StatusCode.Unavailable, "the sidecar is stopping")));
        }

        return operation.Done.Task;
    }

    private async Task WriteAsync()
    {
        await foreach (var first in operations.Reader.ReadAllAsync())
        {
            if (first.PurgeBeforeMs is { } now)
            {
                await PurgeAsync(first, now);
                continue;
            }

            var group = new List<Operation> { first };
            while (group.Count < MaxGroup && operations.Reader.TryPeek(out var next) && next.PurgeBeforeMs is null && operations.Reader.TryRead(out next))
            {
                group.Add(next);
            }

            await SaveAsync(group);
        }
    }

    private async Task SaveAsync(List<Operation> group)
    {
        try
        {
            var latest = new Dictionary<string, StoredInstance>(StringComparer.Ordinal);
            var gone = new HashSet<string>(StringComparer.Ordinal);
            foreach (var operation in group)
            {
                foreach (var id in operation.Removed)
                {
                    latest.Remove(id);
                    gone.Add(id);
                }

                foreach (var record in operation.Changed)
                {
                    // A later snapshot of an instance created in the same group still creates it.
                    var created = record.Created || (latest.TryGetValue(record.Id, out var earlier) && earlier.Created) || gone.Remove(record.Id);
                    latest[record.Id] = record with { Created = created };
                }
            }

            await store.SaveAsync([.. latest.Values], [.. gone]);
            group.ForEach(o => o.Done.TrySetResult(0));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Storing workflow state failed");
            group.ForEach(o => o.Done.TrySetException(new RpcException(new Status(StatusCode.Unavailable, "the workflow state store is unavailable; retry"))));
        }
    }

    private async Task PurgeAsync(Operation operation, long nowMs)
    {
        try
        {
            var purged = 0;
            for (int batch; (batch = await store.PurgeExpiredAsync(nowMs, 256)) > 0;)
            {
                purged += batch;
            }

            operation.Done.TrySetResult(purged);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Purging workflow instances whose retention ended failed");
            operation.Done.TrySetResult(0);
        }
    }

    private sealed record Operation(IReadOnlyList<StoredInstance> Changed, IReadOnlyList<string> Removed, long? PurgeBeforeMs)
    {
        public TaskCompletionSource<int> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
