using Dapr.Client;
using Google.Protobuf;
using Mesh.Resources;

namespace Mesh.Procurement.Domain;

/// <summary>What a state change writes: the resource as it becomes, the event it announces, and other writes that commit with it.</summary>
/// <param name="Updated">The resource after the change.</param>
/// <param name="Event">The contract event published if and only if the change commits.</param>
/// <param name="Alongside">Writes of other keys (e.g. the purchase order a receipt adds to), each at the ETag it was planned from.</param>
public sealed record Change<T>(T Updated, IMessage? Event = null, IReadOnlyList<StateTransactionRequest>? Alongside = null);

/// <summary>
/// The custom methods of AIP-136 (submit, approve, send, match, ...) as one loop: read the resource, let the rule decide
/// from that version, and write the change at the version's ETag together with its event and its other writes. A rule
/// answers null when the resource is already where the call would take it, so a retry after a lost reply returns it as
/// it is instead of failing. A request's stale ETag is ABORTED; a race lost to another writer reads and decides again.
/// </summary>
public static class Transitions
{
    private const int Attempts = 10;

    /// <summary>Applies <paramref name="decide"/> to the resource <paramref name="id"/> named <paramref name="name"/>.</summary>
    public static async Task<T> ApplyAsync<T>(
        ResourceStore<T> store, string id, string name, string etag, Func<T, CancellationToken, Task<Change<T>?>> decide, CancellationToken ct)
        where T : class, IMessage<T>, new()
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var current = await store.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(name);
            if (etag.Length > 0 && etag != current.GetETag())
            {
                throw ResourceErrors.Aborted($"{name} changed since etag {etag}; read it again");
            }

            if (await decide(current, ct) is not { } change)
            {
                return current;
            }

            var announce = change.Event is null ? null : new[] { store.Announce(id, change.Event) };
            if (await store.TryReplaceAsync(id, change.Updated, current.GetETag(), change.Alongside ?? [], ct, announce))
            {
                return await store.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(name);
            }

            if (etag.Length > 0)
            {
                throw ResourceErrors.Aborted($"{name} was changed by another writer; read it again");
            }

            await StateTransactions.BackOffAsync(attempt, ct);
        }

        throw ResourceErrors.Aborted($"{name} kept changing; retry");
    }
}
