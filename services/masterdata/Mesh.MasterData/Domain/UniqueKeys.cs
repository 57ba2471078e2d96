using System.Text.Json;
using Dapr.Client;
using Grpc.Core;

namespace Mesh.MasterData.Domain;

/// <summary>
/// Values that at most one resource may hold, e.g. a cost center's code within its company. A create claims its
/// value in the same state transaction that writes the resource (the <c>alongside</c> of
/// <see cref="Mesh.Resources.ResourceStore{T}.CreateAsync"/>), so of two racing creates only one commits and
/// the other finds the claim when it retries. A claim whose holder no longer has the value (it was deleted) is
/// taken over at the claim's ETag.
/// </summary>
public sealed class UniqueKeys
{
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };

    private readonly DaprClient dapr;
    private readonly string store;
    private readonly string kind;

    /// <param name="dapr">The Dapr client.</param>
    /// <param name="store">The state store component, the one the resources are in.</param>
    /// <param name="kind">The key prefix of these claims, e.g. "cost-center-code".</param>
    public UniqueKeys(DaprClient dapr, string store, string kind)
    {
        this.dapr = dapr;
        this.store = store;
        this.kind = kind;
    }

    /// <summary>
    /// The operation that claims the value made of <paramref name="parts"/> (e.g. company code and code) for the
    /// resource <paramref name="id"/>, to commit with its create. When another resource holds it and
    /// <paramref name="stillHeldBy"/> says that one still has the value, throws what <paramref name="conflict"/>
    /// makes of the holder's id.
    /// </summary>
    public async Task<StateTransactionRequest> ClaimAsync(
        IEnumerable<string> parts, string id, Func<string, Task<bool>> stillHeldBy, Func<string, RpcException> conflict, CancellationToken ct)
    {
        // Escaped one by one, so that no two different lists of parts make the same key.
        var key = $"{kind}:{string.Join('/', parts.Select(Uri.EscapeDataString))}";
        var (holder, etag) = await dapr.GetStateAndETagAsync<string?>(store, key, cancellationToken: ct);
        if (holder is not null && holder != id && await stillHeldBy(holder))
        {
            throw conflict(holder);
        }

        return new(key, JsonSerializer.SerializeToUtf8Bytes(id), StateOperationType.Upsert, string.IsNullOrEmpty(etag) ? null : etag, options: FirstWrite);
    }
}
