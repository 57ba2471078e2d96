using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Ingest.V1;
using Mesh.Ingest.Mapping;
using Mesh.Resources;

namespace Mesh.Ingest.Intake;

/// <summary>
/// The ingest app's exception queue: one <see cref="IngestException"/> per inbound message that could not be
/// mapped, named after its receipt (so the queue lists oldest first), kept in state as an AIP resource with ETags.
/// </summary>
public sealed class ExceptionQueue(ResourceStore<IngestException> store, TimeProvider clock)
{
    /// <summary>The exceptions collection.</summary>
    public static readonly ResourceName Exceptions = new("exceptions");

    /// <summary>Puts a message on the queue (again returns the entry already there).</summary>
    public async Task<IngestException> AddAsync(Inbound inbound, string mapping, MappingFailure failure, CancellationToken ct)
    {
        var now = Timestamp.FromDateTimeOffset(clock.GetUtcNow());
        var entry = new IngestException
        {
            Name = Exceptions.Of(inbound.Receipt),
            Message = RawArchive.NameOf(inbound.Receipt),
            Format = inbound.Format,
            MessageType = inbound.MessageType,
            SendingFacility = inbound.SendingFacility,
            ControlId = inbound.ControlId,
            Mapping = mapping,
            State = IngestExceptionState.Open,
            CreateTime = Timestamp.FromDateTimeOffset(inbound.ReceiveTime),
            UpdateTime = now,
        };
        Apply(entry, failure);
        try
        {
            return await store.CreateAsync(inbound.Receipt, entry, inbound.Receipt, ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
        {
            if (await store.GetAsync(inbound.Receipt, ct) is { } existing)
            {
                return existing;
            }

            throw;
        }
    }

    /// <summary>The entry, NOT_FOUND when there is none.</summary>
    public async Task<IngestException> GetAsync(string name, CancellationToken ct) =>
        await store.GetAsync(Exceptions.IdOf(name, "name"), ct) ?? throw ResourceErrors.NotFound(name);

    /// <summary>One page of entries, oldest first, only those in <paramref name="state"/> when it is set.</summary>
    public async Task<(List<IngestException> Page, string NextToken)> ListAsync(int pageSize, string pageToken, IngestExceptionState state, CancellationToken ct) =>
        await Paging.PageAsync(await store.IdsAsync(ct), pageSize, pageToken, ids => store.GetManyAsync(ids, ct), e => state == IngestExceptionState.Unspecified || e.State == state);

    /// <summary>Writes <paramref name="change"/> to the entry if it is still at <paramref name="etag"/>; ABORTED when another writer won.</summary>
    public async Task<IngestException> UpdateAsync(IngestException entry, Action<IngestException> change, CancellationToken ct)
    {
        var updated = entry.Clone();
        change(updated);
        updated.UpdateTime = Timestamp.FromDateTimeOffset(clock.GetUtcNow());
        var id = Exceptions.IdOf(entry.Name, "name");
        return await store.TryReplaceAsync(id, updated, entry.Etag, ct)
            ? await store.GetAsync(id, ct) ?? throw ResourceErrors.NotFound(entry.Name)
            : throw ResourceErrors.Aborted($"{entry.Name} was changed by another operator; read it again");
    }

    /// <summary>Records the failure on the entry (its reason, location and unresolved code).</summary>
    public static void Apply(IngestException entry, MappingFailure failure)
    {
        entry.Reason = failure.Reason;
        entry.Location = failure.Location;
        entry.UnresolvedCode = failure.UnresolvedCode;
    }
}
