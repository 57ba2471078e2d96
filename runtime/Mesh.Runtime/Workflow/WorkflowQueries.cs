using Dapr.DurableTask.Protobuf;
using Grpc.Core;

namespace Mesh.Runtime.Workflow;

/// <summary>
/// The read side of the workflow API (state, waits, history, listing): an instance the engine holds answers from
/// memory, any other from the store, where finished instances stay until purged (by hand or by retention).
/// </summary>
public sealed class WorkflowQueries(WorkflowEngine engine, IWorkflowStore store)
{
    /// <summary>The instance's state, or null when there is no such instance (never created, or purged).</summary>
    public async Task<WorkflowState?> GetAsync(string instanceId, bool withPayloads)
    {
        if (engine.TryRead(instanceId, i => i.State(withPayloads), out var state))
        {
            return state;
        }

        return await store.LoadAsync(instanceId) is { State: var stored } ? withPayloads ? stored : WithoutPayloads(stored) : null;
    }

    /// <summary>Waits until the instance satisfies <paramref name="done"/>; null when it does not exist.</summary>
    public async Task<WorkflowState?> WaitAsync(string instanceId, Func<OrchestrationStatus, bool> done, bool withPayloads, CancellationToken cancellationToken)
    {
        if (!engine.TryRead(instanceId, i => i, out var instance))
        {
            // Not held: finished (or unknown), so its stored state is final.
            return await GetAsync(instanceId, withPayloads);
        }

        // Followed through the instance itself, which keeps its final state after it leaves memory: a waiter woken
        // late does not have to read it back from the store.
        while (true)
        {
            var (state, changed) = engine.Read(() => (done(instance.Status) ? instance.State(withPayloads) : null, instance.Changed.Task));
            if (state is not null)
            {
                return state;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The instance's history.</summary>
    public async Task<IReadOnlyList<HistoryEvent>> HistoryAsync(string instanceId) =>
        engine.TryRead(instanceId, i => i.History.ToList(), out var history)
            ? history
            : (await store.LoadAsync(instanceId))?.History
                ?? throw new RpcException(new Status(StatusCode.NotFound, $"workflow instance '{instanceId}' does not exist"));

    /// <summary>A page of instance ids in creation order, and the token of the next page.</summary>
    public async Task<(IReadOnlyList<string> Ids, string Next)> ListAsync(string continuationToken, int pageSize)
    {
        var after = continuationToken.Length == 0 ? 0
            : int.TryParse(continuationToken, out var n) && n >= 0 ? n
            : throw new RpcException(new Status(StatusCode.InvalidArgument, $"continuationToken '{continuationToken}' was not issued by this runtime"));
        var size = pageSize <= 0 ? 100 : Math.Min(pageSize, 1000);
        var ids = await store.ListAsync(after, size + 1);
        return (ids.Take(size).ToList(), ids.Count > size ? (after + size).ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
    }

    private static WorkflowState WithoutPayloads(WorkflowState state)
    {
        var copy = state.Clone();
        copy.Input = null;
        copy.Output = null;
        return copy;
    }
}
