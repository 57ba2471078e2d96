using Dapr;
using Dapr.Client;
using Grpc.Core;

namespace Mesh.Resources;

/// <summary>
/// Dapr state transactions at first-write ETags, where losing a race to another writer is an answer, not an error
/// (the case store uses them; <see cref="ResourceStore{T}"/> has its own, which also commits announced events).
/// </summary>
public static class StateTransactions
{
    /// <summary>Runs the transaction; false when an ETag did not match (another writer won): read again and retry.</summary>
    public static async Task<bool> TryExecuteStateTransactionAsync(this DaprClient dapr, string store, IReadOnlyList<StateTransactionRequest> operations, CancellationToken ct)
    {
        try
        {
            await dapr.ExecuteStateTransactionAsync(store, operations, cancellationToken: ct);
            return true;
        }
        catch (DaprException e) when (e.InnerException is RpcException { StatusCode: StatusCode.Aborted })
        {
            return false;
        }
    }

    /// <summary>
    /// Waits before another attempt: writers that lost an ETag race would collide again if they retried in step, so
    /// each waits a random few milliseconds, growing with the attempt.
    /// </summary>
    public static Task BackOffAsync(int attempt, CancellationToken ct) =>
        Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 << Math.Min(attempt, 4))), ct);
}
