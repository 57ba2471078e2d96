using Dapr.Client;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Mesh.Resources;

/// <summary>The parts of AIP-134 Update and AIP-135 Delete that are the same for every resource.</summary>
public static class StandardMethods
{
    /// <summary>
    /// Applies the fields of <paramref name="change"/> named by <paramref name="mask"/> to the stored resource:
    /// INVALID_ARGUMENT for a missing mask or a path outside <paramref name="updatable"/>, NOT_FOUND, ABORTED when
    /// the change's ETag is stale or another writer wins. <paramref name="finish"/> validates and stamps the result;
    /// <paramref name="alongside"/> gives operations (from the updated resource) that commit with it, and
    /// <paramref name="announce"/> the event (from the stored and the updated resource) published if it commits.
    /// </summary>
    public static Task<T> UpdateAsync<T>(
        ResourceStore<T> store,
        string id,
        T change,
        FieldMask? mask,
        IReadOnlySet<string> updatable,
        Action<T> finish,
        CancellationToken ct,
        Func<T, CancellationToken, Task<IEnumerable<StateTransactionRequest>>>? alongside = null,
        Func<T, T, IMessage>? announce = null)
        where T : class, IMessage<T>, new() =>
        UpdateAsync(store, id, change, mask, updatable, (_, updated) => finish(updated), ct, alongside, announce);

    /// <summary>
    /// <see cref="UpdateAsync{T}(ResourceStore{T}, string, T, FieldMask?, IReadOnlySet{string}, Action{T}, CancellationToken, Func{T, CancellationToken, Task{IEnumerable{StateTransactionRequest}}}?, Func{T, T, IMessage}?)"/>
    /// for rules that compare the stored resource with the updated one (e.g. a state machine's transitions):
    /// <paramref name="finish"/> gets both, the stored one first.
    /// </summary>
    public static async Task<T> UpdateAsync<T>(
        ResourceStore<T> store,
        string id,
        T change,
        FieldMask? mask,
        IReadOnlySet<string> updatable,
        Action<T, T> finish,
        CancellationToken ct,
        Func<T, CancellationToken, Task<IEnumerable<StateTransactionRequest>>>? alongside = null,
        Func<T, T, IMessage>? announce = null)
        where T : class, IMessage<T>, new()
    {
        if (mask is not { Paths.Count: > 0 })
        {
            throw ResourceErrors.Invalid($"update_mask is required; allowed paths: {string.Join(", ", updatable)}");
        }

        if (mask.Paths.FirstOrDefault(p => !updatable.Contains(p)) is { } bad)
        {
            throw ResourceErrors.Invalid($"update_mask path '{bad}' cannot be updated; allowed paths: {string.Join(", ", updatable)}");
        }

        var name = NameOf(change);
        var current = await store.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(name);
        var etag = current.GetETag();
        if (change.GetETag() is { Length: > 0 } expected && expected != etag)
        {
            throw ResourceErrors.Aborted($"{name} changed since etag {expected} (now {etag}); read it again");
        }

        var updated = current.Clone();
        ApplyMask(mask, change, updated);
        finish(current, updated);
        var operations = alongside is null ? [] : (await alongside(updated, ct)).ToList();
        var events = announce is null ? null : new[] { store.Announce(id, announce(current, updated)) };
        if (await store.TryReplaceAsync(id, updated, etag, operations, ct, events))
        {
            return await store.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(name);
        }

        // The transaction lost a race: if it was over a key of the alongside operations (say another writer
        // claimed the same identifier), asking for them again gives the real answer, e.g. ALREADY_EXISTS.
        if (alongside is not null && operations.Count > 0)
        {
            await alongside(updated, ct);
        }

        throw ResourceErrors.Aborted($"{name} was changed by another writer; read it again");
    }

    /// <summary>Deletes the resource: NOT_FOUND, or ABORTED when <paramref name="etag"/> is stale or another writer wins.</summary>
    public static async Task DeleteAsync<T>(
        ResourceStore<T> store, string id, string name, string etag, CancellationToken ct, Func<T, CancellationToken, Task<IEnumerable<StateTransactionRequest>>>? alongside = null)
        where T : class, IMessage<T>, new()
    {
        var current = await store.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(name);
        if ((etag.Length > 0 && etag != current.GetETag())
            || !await store.TryDeleteAsync(id, current.GetETag(), ct, alongside is null ? null : token => alongside(current, token)))
        {
            throw ResourceErrors.Aborted($"{name} changed since it was read; read it again");
        }
    }

    /// <summary>
    /// Copies the fields <paramref name="mask"/> names from <paramref name="change"/> to <paramref name="target"/>,
    /// each replaced as a whole (AIP-134): a list is the change's list, a message the change's message (a price of
    /// 13.00 does not keep the old price's cents), and a field left unset in the change is cleared. Protobuf's
    /// default merge would append lists, merge messages and skip zero values instead.
    /// </summary>
    public static void ApplyMask<T>(FieldMask mask, T change, T target)
        where T : class, IMessage<T> =>
        mask.Merge(change, target, new FieldMask.MergeOptions { ReplaceMessageFields = true, ReplaceRepeatedFields = true, ReplacePrimitiveFields = true });

    private static string NameOf(IMessage message) => message.Descriptor.FindFieldByName("name")?.Accessor.GetValue(message) as string ?? "";
}
