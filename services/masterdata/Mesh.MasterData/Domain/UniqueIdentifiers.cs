using Dapr.Client;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Resources;

namespace Mesh.MasterData.Domain;

/// <summary>An identifier at most one resource of a kind may hold.</summary>
/// <param name="Field">The field that holds it, as errors name it, e.g. "supplier.tax_id".</param>
/// <param name="Scheme">What kind of identifier it is, part of its claim key (e.g. "tax", or an external system).</param>
/// <param name="Value">Its value as compared: normalized, so spellings of one identifier are one claim.</param>
public sealed record UniqueIdentifier(string Field, string Scheme, string Value);

/// <summary>
/// The identifiers of one resource kind that must stay unique (an item's GTIN, a supplier's tax id), claimed with
/// <see cref="UniqueKeys"/> in the transaction that creates or updates the resource: of two writers racing for one
/// identifier only one commits. ALREADY_EXISTS names the field and the resource holding it, never the value.
/// </summary>
/// <typeparam name="T">The resource.</typeparam>
public sealed class UniqueIdentifiers<T>(UniqueKeys keys, ResourceStore<T> store, ResourceName names, Func<T, IEnumerable<UniqueIdentifier>> identifiersOf)
    where T : class, IMessage<T>, new()
{
    /// <summary>
    /// The claims of every identifier <paramref name="resource"/> (to be stored under <paramref name="id"/>) holds,
    /// its own ones included: each write re-asserts them at the claim's ETag, so a resource stored before a claim
    /// existed gets it, and a racing writer of the same identifier makes the transaction fail. Throws
    /// ALREADY_EXISTS when another resource still holds one of them.
    /// </summary>
    public async Task<IEnumerable<StateTransactionRequest>> ClaimAsync(string id, T resource, CancellationToken ct)
    {
        var claims = new List<StateTransactionRequest>();
        foreach (var identifier in identifiersOf(resource).Distinct())
        {
            claims.Add(await keys.ClaimAsync(
                [identifier.Scheme, identifier.Value],
                id,
                async holder => await store.GetAsync(holder, ct) is { } other && identifiersOf(other).Contains(identifier),
                holder => new RpcException(new Status(StatusCode.AlreadyExists, $"{identifier.Field} is already held by {names.Of(holder)}")),
                ct));
        }

        return claims;
    }
}
