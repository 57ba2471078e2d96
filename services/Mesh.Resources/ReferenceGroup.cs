using Dapr.Client;
using Google.Protobuf;

namespace Mesh.Resources;

/// <summary>
/// The resources of one kind grouped by the names they refer to through a field that may change (a location's parent,
/// the suppliers of an item's part numbers), so a check such as "does anything still refer to this supplier" reads one
/// group instead of every resource of the kind. The group is kept in the transaction that writes the resource: a
/// create joins the groups of its references, an update that changes them leaves the old ones and joins the new, a
/// delete leaves them; a concurrent writer of the same group makes one of the two transactions try again. Members are
/// judged again when read, so one that no longer refers to the name never counts. Each name's group is kept in 16
/// shards by member id, as the id index is, so many writers referring to one name at once (an import of one
/// supplier's catalog) rarely contend for the same key; a read takes the shards in one bulk call.
/// </summary>
/// <param name="store">The resources.</param>
/// <param name="group">The group's name in keys, e.g. "parent".</param>
/// <param name="referencesOf">The names a resource refers to through the field (empty ones are ignored).</param>
/// <remarks>Resources written before the group existed are not in it until their next write that changes the field.</remarks>
public sealed class ReferenceGroup<T>(ResourceStore<T> store, string group, Func<T, IEnumerable<string>> referencesOf)
    where T : class, IMessage<T>, new()
{
    private const int Shards = 16;

    /// <summary>
    /// The operations that move <paramref name="id"/> from the groups of <paramref name="stored"/> (null for a create)
    /// to those of <paramref name="written"/> (null for a delete), to commit with that write.
    /// </summary>
    public async Task<IEnumerable<StateTransactionRequest>> TrackAsync(string id, T? stored, T? written, CancellationToken ct)
    {
        var (before, after) = (References(stored), References(written));
        var operations = new List<StateTransactionRequest>();
        foreach (var left in before.Except(after, StringComparer.Ordinal))
        {
            operations.Add(await store.LeaveGroupAsync(group, Shard(left, id), id, ct));
        }

        foreach (var joined in after.Except(before, StringComparer.Ordinal))
        {
            operations.Add(await store.JoinGroupAsync(group, Shard(joined, id), id, ct));
        }

        return operations;
    }

    /// <summary>The first resource (by id) that refers to <paramref name="name"/>, or null: reads only its group.</summary>
    public async Task<T?> FirstReferringAsync(string name, CancellationToken ct)
    {
        var members = await store.GroupIdsAsync(group, [.. Enumerable.Range(0, Shards).Select(shard => $"{name}~{shard}")], ct);
        return (await store.GetManyAsync(members, ct)).FirstOrDefault(r => References(r).Contains(name, StringComparer.Ordinal));
    }

    private static string Shard(string name, string id) => $"{name}~{IdIndex.Bucket(id) % Shards}";

    private HashSet<string> References(T? resource) =>
        resource is null ? [] : referencesOf(resource).Where(n => n.Length > 0).ToHashSet(StringComparer.Ordinal);
}
