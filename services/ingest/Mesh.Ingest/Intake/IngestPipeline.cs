using Grpc.Core;
using Mesh.Contracts.Ingest.V1;
using Mesh.Ingest.Mapping;

namespace Mesh.Ingest.Intake;

/// <summary>
/// What every inbound message goes through once it is stored raw: the intake ledger recognises a resend (same
/// MSH-10 and sending facility, same resource identity) and answers it as the first copy was answered, with no
/// second effect; a new message is mapped, recorded with its events and then delivered; one that cannot be mapped
/// goes to the exception queue with the reason and field. A message is acknowledged only after this.
/// </summary>
public sealed class IngestPipeline(IntakeLedger ledger, ExceptionQueue exceptions, EventDelivery delivery, ILogger<IngestPipeline> logger)
{
    /// <summary>Takes in a stored message, mapped by <paramref name="map"/> unless it was seen before.</summary>
    public async Task<IntakeOutcome> AcceptAsync(Inbound inbound, Func<CancellationToken, Task<MapResult>> map, CancellationToken ct)
    {
        var key = inbound.Key;
        var (seen, etag) = await ledger.GetAsync(key, ct);
        if (seen is not null)
        {
            return await AnswerAgainAsync(key, seen, etag, ct);
        }

        var result = await map(ct);
        if (result.Failure is { Kind: FailureKind.Unavailable } transient)
        {
            return new IntakeOutcome(IntakeResult.Retry, [], transient, null, false, inbound.Receipt);
        }

        if (result.Failure is { } failure)
        {
            var entry = await exceptions.AddAsync(inbound, result.Mapping, failure, ct);
            var parked = new IntakeRecord(inbound.Receipt, IntakeStatus.Exception, [], null, entry.Name, failure.Reason, failure.Location, failure.Hl7ErrorCode);
            if (!await ledger.TryWriteAsync(key, parked, "", ct))
            {
                return await AnswerExistingAsync(key, ct);
            }

            logger.LogWarning("Message {Receipt} ({MessageType}) could not be mapped by {Mapping}: {Reason}; it is on the exception queue as {Exception}",
                inbound.Receipt, inbound.MessageType, result.Mapping, failure.Reason, entry.Name);
            return new IntakeOutcome(IntakeResult.Exception, [], failure, entry.Name, false, inbound.Receipt);
        }

        var pending = delivery.Prepare(inbound, result.Mapped);
        var accepted = new IntakeRecord(inbound.Receipt, IntakeStatus.Accepted, EventDelivery.EventIds(pending), pending);
        if (!await ledger.TryWriteAsync(key, accepted, "", ct))
        {
            // Another copy of the message won the race to the ledger: answer as it is answered.
            return await AnswerExistingAsync(key, ct);
        }

        return await FinishAsync(key, accepted, ct, duplicate: false);
    }

    /// <summary>
    /// Maps an exception queue entry's message again: when it maps now, its events are delivered and the entry is
    /// RESOLVED; when not, the entry stays OPEN with the new reason.
    /// </summary>
    public async Task<IngestException> ReplayAsync(IngestException entry, Inbound inbound, MapResult result, CancellationToken ct)
    {
        if (result.Failure is { Kind: FailureKind.Unavailable } transient)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, transient.Reason));
        }

        if (result.Failure is { } failure)
        {
            return await exceptions.UpdateAsync(entry, e =>
            {
                ExceptionQueue.Apply(e, failure);
                e.Mapping = result.Mapping;
                e.ReplayCount++;
            }, ct);
        }

        var key = inbound.Key;
        var pending = delivery.Prepare(inbound, result.Mapped);
        var accepted = new IntakeRecord(inbound.Receipt, IntakeStatus.Accepted, EventDelivery.EventIds(pending), pending);
        var (current, etag) = await ledger.GetAsync(key, ct);
        if (current?.Status is IntakeStatus.Accepted or IntakeStatus.Delivered)
        {
            // A concurrent replay got there first; finishing its delivery is all that is left.
            accepted = current;
        }
        else if (!await ledger.TryWriteAsync(key, accepted, etag, ct))
        {
            throw new RpcException(new Status(StatusCode.Aborted, $"{entry.Name} is being replayed by another operator; read it again"));
        }

        if ((await FinishAsync(key, accepted, ct, duplicate: false)).Result == IntakeResult.Retry)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"{entry.Name} mapped, but its events could not all be delivered yet; replay it again"));
        }

        logger.LogInformation("Replayed {Exception}: {Count} events delivered", entry.Name, accepted.EventIds.Count);
        return await exceptions.UpdateAsync(entry, e =>
        {
            e.State = IngestExceptionState.Resolved;
            e.ReplayCount++;
            e.Mapping = result.Mapping;
            e.EventIds.Clear();
            e.EventIds.Add(accepted.EventIds);
        }, ct);
    }

    private async Task<IntakeOutcome> AnswerExistingAsync(string key, CancellationToken ct)
    {
        var (seen, etag) = await ledger.GetAsync(key, ct);
        return await AnswerAgainAsync(key, seen ?? throw new RpcException(new Status(StatusCode.Aborted, "the intake ledger changed while the message was taken in")), etag, ct);
    }

    private async Task<IntakeOutcome> AnswerAgainAsync(string key, IntakeRecord seen, string etag, CancellationToken ct) => seen.Status switch
    {
        IntakeStatus.Delivered => new IntakeOutcome(IntakeResult.Delivered, seen.EventIds, null, null, true, seen.Receipt),
        IntakeStatus.Exception => new IntakeOutcome(
            IntakeResult.Exception, [], new MappingFailure(seen.ErrorCode switch { 102 => FailureKind.Malformed, 103 => FailureKind.UnknownCode, _ => FailureKind.Missing }, seen.Reason ?? "", seen.Location ?? ""),
            seen.Exception, true, seen.Receipt),
        // Accepted by a copy whose delivery did not finish (the pub/sub was down, or the app stopped): finish it.
        _ => await FinishAsync(key, seen, ct, duplicate: true, etag),
    };

    private async Task<IntakeOutcome> FinishAsync(string key, IntakeRecord accepted, CancellationToken ct, bool duplicate, string? etag = null)
    {
        try
        {
            await delivery.DeliverAsync(accepted.Pending ?? [], ct);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.Aborted)
        {
            logger.LogWarning("Message {Receipt} is accepted but its events could not all be delivered yet ({Status}); a resend completes it", accepted.Receipt, e.StatusCode);
            return new IntakeOutcome(IntakeResult.Retry, accepted.EventIds, new MappingFailure(FailureKind.Unavailable, "the message is stored, but its events could not be delivered yet; resend it to complete the delivery", ""), null, duplicate, accepted.Receipt);
        }

        etag ??= (await ledger.GetAsync(key, ct)).ETag;
        // Losing this race only means another copy recorded the same delivery.
        await ledger.TryWriteAsync(key, accepted with { Status = IntakeStatus.Delivered, Pending = null }, etag, ct);
        return new IntakeOutcome(IntakeResult.Delivered, accepted.EventIds, null, null, duplicate, accepted.Receipt);
    }
}
