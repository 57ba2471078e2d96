using System.Text;
using System.Text.Json;
using Dapr;
using Dapr.Client;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;

namespace Mesh.Resources;

/// <summary>
/// AIP resources of one kind in a Dapr state store. Each resource is one key holding its protobuf JSON; its
/// id sits in the kind's <see cref="IdIndex"/> (or its partition's); a create request id maps to the id it produced.
/// A create writes the resource, its index entry and its request id in one state transaction, and every write uses
/// first-write concurrency with ETags: racing writers get ABORTED or ALREADY_EXISTS instead of overwriting each other,
/// and a retried create returns what the first one made.
/// </summary>
/// <remarks>
/// A write that announces contract events (<see cref="Announcement"/>) commits them in its transaction, through the
/// outbox-enabled store of <see cref="ContractEvents"/>: the event is published if and only if the write commits.
/// </remarks>
/// <typeparam name="T">The resource message; it must have a string field named <c>etag</c>.</typeparam>
public sealed class ResourceStore<T> where T : class, IMessage<T>, new()
{
    private const int Attempts = 10;
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
    private static readonly FieldDescriptor ETagField = new T().Descriptor.FindFieldByName("etag")
        ?? throw new InvalidOperationException($"{new T().Descriptor.FullName} has no etag field");

    private readonly DaprClient dapr;
    private readonly string store;
    private readonly string kind;
    private readonly ContractEvents? events;
    private readonly IdIndex index;
    private readonly int indexPageSize;
    private readonly Func<string, string>? partitionOf;

    /// <param name="dapr">The Dapr client.</param>
    /// <param name="store">The state store component.</param>
    /// <param name="kind">The key prefix of this kind, e.g. "item".</param>
    /// <param name="events">The publisher whose outbox store commits the writes that announce events; none when the kind announces nothing.</param>
    /// <param name="indexPageSize">Ids per page of the kind's <see cref="IdIndex"/>.</param>
    /// <param name="partitionOf">
    /// The partition of an id, for a kind listed by partition (e.g. by location): each partition then has an index of
    /// its own, so listing one reads none of the others' ids. None when the kind is listed whole.
    /// </param>
    public ResourceStore(
        DaprClient dapr, string store, string kind, ContractEvents? events = null, int indexPageSize = IdIndex.DefaultPageSize, Func<string, string>? partitionOf = null)
    {
        this.dapr = dapr;
        this.store = store;
        this.kind = kind;
        this.events = events;
        this.indexPageSize = indexPageSize;
        this.partitionOf = partitionOf;
        index = new IdIndex(dapr, store, $"{kind}-index", indexPageSize);
    }

    /// <summary>The announcement of <paramref name="message"/> with the write of the resource <paramref name="id"/>.</summary>
    public Announcement Announce(string id, IMessage message) => new(Key(id), message);

    /// <summary>The resource with its ETag set, or null.</summary>
    public async Task<T?> GetAsync(string id, CancellationToken ct)
    {
        var (json, etag) = await dapr.GetStateAndETagAsync<JsonElement>(store, Key(id), cancellationToken: ct);
        return json.ValueKind == JsonValueKind.Object ? Parse(json.GetRawText(), etag) : null;
    }

    /// <summary>The resources of these ids that exist, in the order given, read in one bulk call.</summary>
    public async Task<List<T>> GetManyAsync(IReadOnlyList<string> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        var read = await dapr.GetBulkStateAsync(store, [.. ids.Select(Key)], parallelism: 16, cancellationToken: ct);
        var byKey = read.Where(r => !string.IsNullOrEmpty(r.Value)).ToDictionary(r => r.Key);
        return [.. ids.Select(Key).Where(byKey.ContainsKey).Select(key => Parse(byKey[key].Value, byKey[key].ETag))];
    }

    /// <summary>Every id of this kind, in ordinal order; for a kind without partitions.</summary>
    public Task<List<string>> IdsAsync(CancellationToken ct) =>
        partitionOf is null ? index.AllAsync(ct) : throw new InvalidOperationException($"the {kind} store is partitioned: list one partition");

    /// <summary>
    /// The ids of one partition, in ordinal order: its own index's, and those of the partition that the kind-wide index
    /// still holds from before the kind had partitions (nothing is added there any more).
    /// </summary>
    public async Task<List<string>> IdsAsync(string partition, CancellationToken ct)
    {
        var of = partitionOf ?? throw new InvalidOperationException($"the {kind} store has no partitions");
        var ids = await PartitionIndex(partition).AllAsync(ct);
        ids.AddRange((await index.AllAsync(ct)).Where(id => of(id) == partition));
        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    /// <summary>Every resource of the kind, for scans (duplicate detection, checks for references).</summary>
    public async Task<List<T>> AllAsync(CancellationToken ct) => await GetManyAsync(await IdsAsync(ct), ct);

    /// <summary>
    /// Creates the resource under <paramref name="id"/>. With a request id, a retry of the same request returns
    /// the resource the first attempt created (even under another generated id) instead of creating another.
    /// ALREADY_EXISTS when another request holds the id. <paramref name="alongside"/> gives operations on other
    /// keys (read afresh on every attempt, e.g. a balance at its current ETag) that commit in the same transaction, and
    /// <paramref name="announce"/> the events that commit with it (a retry that finds the earlier resource announces nothing).
    /// </summary>
    public async Task<T> CreateAsync(
        string id,
        T resource,
        string requestId,
        CancellationToken ct,
        Func<CancellationToken, Task<IEnumerable<StateTransactionRequest>>>? alongside = null,
        IReadOnlyList<Announcement>? announce = null)
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            if (requestId.Length > 0 && await EarlierAsync(requestId, ct) is { } earlier)
            {
                return earlier;
            }

            List<StateTransactionRequest> operations =
            [
                new(Key(id), Encode(resource), StateOperationType.Upsert, options: FirstWrite),
                .. await IndexOf(id).AddAsync(id, ct),
            ];
            if (requestId.Length > 0)
            {
                operations.Add(new(RequestKey(requestId), JsonSerializer.SerializeToUtf8Bytes(id), StateOperationType.Upsert, options: FirstWrite));
            }

            if (alongside is not null)
            {
                operations.AddRange(await alongside(ct));
            }

            if (await TryTransactAsync(operations, announce ?? [], ct))
            {
                return await GetAsync(id, ct) ?? throw ResourceErrors.Aborted($"{kind} {id} was deleted while it was created; retry");
            }

            // The resource key, the index or the request id moved under us: find out which.
            if (requestId.Length == 0 || await EarlierAsync(requestId, ct) is null)
            {
                if (await GetAsync(id, ct) is not null)
                {
                    throw new RpcException(new Status(StatusCode.AlreadyExists, $"{kind} '{id}' already exists"));
                }
            }

            await BackOffAsync(attempt, ct);
        }

        throw ResourceErrors.Aborted($"the {kind} index kept changing; retry");
    }

    /// <summary>
    /// A transaction operation that writes the resource if its ETag is still <paramref name="etag"/> ("" for a
    /// key that must not exist yet), for <see cref="CreateAsync"/>'s <c>alongside</c>. It does not touch the index.
    /// </summary>
    public StateTransactionRequest ReplaceOperation(string id, T resource, string etag) =>
        new(Key(id), Encode(resource), StateOperationType.Upsert, EmptyAsNull(etag), options: FirstWrite);

    /// <summary>Replaces the resource if its ETag is still <paramref name="etag"/>; false when another writer won.</summary>
    public Task<bool> TryReplaceAsync(string id, T resource, string etag, CancellationToken ct) =>
        dapr.TrySaveStateAsync(store, Key(id), JsonDocument.Parse(Format(resource)).RootElement, etag, FirstWrite, cancellationToken: ct);

    /// <summary>
    /// Replaces the resource if its ETag is still <paramref name="etag"/>, committing <paramref name="alongside"/> and the
    /// events of <paramref name="announce"/> in the same transaction; false when another writer won (of the resource or
    /// of any of those keys), and then no event is published.
    /// </summary>
    public Task<bool> TryReplaceAsync(
        string id, T resource, string etag, IReadOnlyCollection<StateTransactionRequest> alongside, CancellationToken ct, IReadOnlyList<Announcement>? announce = null) =>
        alongside.Count == 0 && announce is not { Count: > 0 }
            ? TryReplaceAsync(id, resource, etag, ct)
            : TryTransactAsync([ReplaceOperation(id, resource, etag), .. alongside], announce ?? [], ct);

    /// <summary>
    /// Deletes the resource if its ETag is still <paramref name="etag"/>, and its id from the index, committing
    /// <paramref name="alongside"/> (read afresh on every attempt, e.g. leaving its groups) in the same transaction;
    /// false when another writer won.
    /// </summary>
    public async Task<bool> TryDeleteAsync(string id, string etag, CancellationToken ct, Func<CancellationToken, Task<IEnumerable<StateTransactionRequest>>>? alongside = null)
    {
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            List<StateTransactionRequest> operations = [new(Key(id), null, StateOperationType.Delete, etag, options: FirstWrite)];
            // A partitioned kind's ids from before it had partitions are still in the kind-wide index.
            var unindex = await IndexOf(id).RemoveAsync(id, ct) ?? (partitionOf is null ? null : await index.RemoveAsync(id, ct));
            if (unindex is not null)
            {
                operations.Add(unindex);
            }

            if (alongside is not null)
            {
                operations.AddRange(await alongside(ct));
            }

            if (await TryTransactAsync(operations, [], ct))
            {
                return true;
            }

            if ((await GetAsync(id, ct))?.GetETag() != etag)
            {
                return false;
            }

            await BackOffAsync(attempt, ct);
        }

        throw ResourceErrors.Aborted($"the {kind} index kept changing; retry");
    }

    /// <summary>
    /// The resource an earlier create with this request id made, or null: lets a create answer a retry before it
    /// repeats expensive work (such as reading other services) that could now come out differently.
    /// </summary>
    public Task<T?> FindByRequestAsync(string requestId, CancellationToken ct) =>
        requestId.Length == 0 ? Task.FromResult<T?>(null) : EarlierAsync(requestId, ct);

    /// <summary>
    /// What a list filtered by a create's request id answers: the resource that create made, when it matches the
    /// list's other filters, or nothing. One read, whatever the size of the collection.
    /// </summary>
    public async Task<List<T>> MadeByRequestAsync(string requestId, Func<T, bool> matches, CancellationToken ct) =>
        await EarlierAsync(requestId, ct) is { } made && matches(made) ? [made] : [];

    /// <summary>
    /// The operation that adds <paramref name="id"/> to the resources grouped under <paramref name="group"/> =
    /// <paramref name="value"/> (e.g. the goods receipts of one purchase order), read afresh at its ETag: commit it with
    /// the create (its <c>alongside</c>), so the group holds every member and nothing that was not created, and a
    /// concurrent join makes one of the two creates try again. Group by a field that never changes.
    /// </summary>
    public async Task<StateTransactionRequest> JoinGroupAsync(string group, string value, string id, CancellationToken ct)
    {
        var (members, etag) = await dapr.GetStateAndETagAsync<List<string>?>(store, GroupKey(group, value), cancellationToken: ct);
        return new(GroupKey(group, value), JsonSerializer.SerializeToUtf8Bytes((members ?? []).Append(id).Distinct().ToList()), StateOperationType.Upsert, EmptyAsNull(etag ?? ""), options: FirstWrite);
    }

    /// <summary>
    /// The operation that takes <paramref name="id"/> out of the group <paramref name="group"/> = <paramref name="value"/>,
    /// read afresh at its ETag (the group's key goes when its last member leaves), for a write that stops the resource
    /// belonging there (see <see cref="ReferenceGroup{T}"/>).
    /// </summary>
    public async Task<StateTransactionRequest> LeaveGroupAsync(string group, string value, string id, CancellationToken ct)
    {
        var (members, etag) = await dapr.GetStateAndETagAsync<List<string>?>(store, GroupKey(group, value), cancellationToken: ct);
        var rest = (members ?? []).Where(m => m != id).ToList();
        return rest.Count == 0
            ? new(GroupKey(group, value), null, StateOperationType.Delete, EmptyAsNull(etag ?? ""), options: FirstWrite)
            : new(GroupKey(group, value), JsonSerializer.SerializeToUtf8Bytes(rest), StateOperationType.Upsert, EmptyAsNull(etag ?? ""), options: FirstWrite);
    }

    /// <summary>The ids grouped under <paramref name="group"/> = <paramref name="value"/>, in ordinal order: one read, whatever the size of the collection.</summary>
    public async Task<List<string>> GroupIdsAsync(string group, string value, CancellationToken ct)
    {
        var ids = await dapr.GetStateAsync<List<string>?>(store, GroupKey(group, value), cancellationToken: ct) ?? [];
        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    /// <summary>The ids grouped under <paramref name="group"/> = any of <paramref name="values"/>, read in one bulk call, in ordinal order.</summary>
    public async Task<List<string>> GroupIdsAsync(string group, IReadOnlyCollection<string> values, CancellationToken ct)
    {
        var read = await dapr.GetBulkStateAsync(store, [.. values.Select(v => GroupKey(group, v))], parallelism: IdIndex.Buckets, cancellationToken: ct);
        var ids = read.Where(r => !string.IsNullOrEmpty(r.Value)).SelectMany(r => JsonSerializer.Deserialize<List<string>>(r.Value)!).Distinct().ToList();
        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    /// <summary>The resources grouped under <paramref name="group"/> = <paramref name="value"/> that still exist, in id order.</summary>
    public async Task<List<T>> InGroupAsync(string group, string value, CancellationToken ct) =>
        await GetManyAsync(await GroupIdsAsync(group, value, ct), ct);

    private async Task<T?> EarlierAsync(string requestId, CancellationToken ct)
    {
        var id = await dapr.GetStateAsync<string?>(store, RequestKey(requestId), cancellationToken: ct);
        // The resource and its request id are written in one transaction, so a missing resource was deleted since.
        return id is null ? null : await GetAsync(id, ct) ?? throw ResourceErrors.FailedPrecondition($"request_id {requestId} created {kind} '{id}', which has been deleted since");
    }

    // A transaction that announces events goes to the publisher's outbox store, which shares the keys of this one.
    private async Task<bool> TryTransactAsync(IReadOnlyList<StateTransactionRequest> operations, IReadOnlyList<Announcement> announce, CancellationToken ct)
    {
        var publisher = announce.Count == 0 ? null : events ?? throw new InvalidOperationException($"the {kind} store has no ContractEvents to announce {announce[0].Event.Descriptor.Name} with");
        try
        {
            await dapr.ExecuteStateTransactionAsync(publisher?.Store ?? store, publisher is null ? operations : publisher.Compose(operations, announce), cancellationToken: ct);
            return true;
        }
        catch (DaprException e) when (e.InnerException is RpcException inner && LostRace(inner))
        {
            return false;
        }
        catch (DaprException e) when (ContractEvents.Unqueued(e) is { } unavailable)
        {
            throw unavailable;
        }
    }

    // Mesh's runtime answers a transaction whose ETag check fails with ABORTED; daprd answers INTERNAL "error while
    // executing state transaction: ..." with the store's error (state.redis "failed to set key"/"failed to delete",
    // others "possible etag mismatch"), so the same services run on both.
    private static bool LostRace(RpcException failure) =>
        failure.StatusCode == StatusCode.Aborted
        || (failure.StatusCode == StatusCode.Internal && failure.Status.Detail.StartsWith("error while executing state transaction:", StringComparison.Ordinal)
            && (failure.Status.Detail.Contains("etag mismatch", StringComparison.OrdinalIgnoreCase)
                || failure.Status.Detail.Contains("failed to set key", StringComparison.Ordinal)
                || failure.Status.Detail.Contains("failed to delete", StringComparison.Ordinal)));

    // Writers that lost an ETag race would collide again if they retried in step: each waits a random few
    // milliseconds, growing with the attempt.
    private static Task BackOffAsync(int attempt, CancellationToken ct) =>
        Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 << Math.Min(attempt, 4))), ct);

    private static T Parse(string json, string etag)
    {
        var resource = Parser.Parse<T>(json);
        ETagField.Accessor.SetValue(resource, etag);
        return resource;
    }

    // The ETag is the store's, never part of the stored document.
    private static string Format(T resource)
    {
        var stored = resource.Clone();
        ETagField.Accessor.SetValue(stored, "");
        return JsonFormatter.Default.Format(stored);
    }

    private static byte[] Encode(T resource) => Encoding.UTF8.GetBytes(Format(resource));

    private static string? EmptyAsNull(string etag) => etag.Length == 0 ? null : etag;

    private IdIndex IndexOf(string id) => partitionOf is null ? index : PartitionIndex(partitionOf(id));

    private IdIndex PartitionIndex(string partition) => new(dapr, store, $"{kind}-index@{partition}", indexPageSize);

    private string Key(string id) => $"{kind}:{id}";

    private string RequestKey(string requestId) => $"{kind}-request:{requestId}";

    private string GroupKey(string group, string value) => $"{kind}-by-{group}:{value}";
}

/// <summary>The ETag of a resource message.</summary>
public static class ResourceETag
{
    /// <summary>The value of the message's <c>etag</c> field, or "" when it has none.</summary>
    public static string GetETag(this IMessage message) =>
        message.Descriptor.FindFieldByName("etag")?.Accessor.GetValue(message) as string ?? "";
}
