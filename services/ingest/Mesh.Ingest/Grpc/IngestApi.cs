using Grpc.Core;
using Mesh.Contracts.Ingest.V1;
using Mesh.Ingest.Intake;
using Mesh.Resources;

namespace Mesh.Ingest.Grpc;

/// <summary>
/// mesh.ingest.v1.IngestService: the operator API over the exception queue. A replay maps the stored raw message
/// again with today's mappings and master data; an operations console lists and replays through it.
/// </summary>
public sealed class IngestApi(ExceptionQueue queue, RawArchive raw, IngestPipeline pipeline, IEnumerable<IReplayableFormat> formats) : IngestService.IngestServiceBase
{
    /// <inheritdoc />
    public override Task<IngestException> GetIngestException(GetIngestExceptionRequest request, ServerCallContext context) =>
        queue.GetAsync(request.Name, context.CancellationToken);

    /// <inheritdoc />
    public override async Task<ListIngestExceptionsResponse> ListIngestExceptions(ListIngestExceptionsRequest request, ServerCallContext context)
    {
        var (page, next) = await queue.ListAsync(request.PageSize, request.PageToken, request.State, context.CancellationToken);
        return new ListIngestExceptionsResponse { IngestExceptions = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override async Task<IngestException> ReplayIngestException(ReplayIngestExceptionRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var entry = await OpenAsync(request.Name, request.Etag, ct);
        var receipt = RawArchive.NameOf("").Length is var prefix ? entry.Message[prefix..] : "";
        var message = await raw.GetAsync(receipt, ct)
            ?? throw ResourceErrors.FailedPrecondition($"{entry.Message} passed its retention (Ingest:RawRetention) and is gone; ask the sender to send the message again");
        var format = formats.FirstOrDefault(f => f.Format == entry.Format)
            ?? throw ResourceErrors.FailedPrecondition($"{entry.Name} is a {entry.Format} message, which this app cannot replay");
        var (inbound, result) = await format.RemapAsync(message, receipt, ct);
        return await pipeline.ReplayAsync(entry, inbound, result, ct);
    }

    /// <inheritdoc />
    public override async Task<IngestException> DismissIngestException(DismissIngestExceptionRequest request, ServerCallContext context)
    {
        var entry = await OpenAsync(request.Name, request.Etag, context.CancellationToken);
        return await queue.UpdateAsync(entry, e => e.State = IngestExceptionState.Dismissed, context.CancellationToken);
    }

    private async Task<IngestException> OpenAsync(string name, string etag, CancellationToken ct)
    {
        var entry = await queue.GetAsync(name, ct);
        if (etag.Length > 0 && etag != entry.Etag)
        {
            throw ResourceErrors.Aborted($"{name} changed since etag {etag} (now {entry.Etag}); read it again");
        }

        return entry.State == IngestExceptionState.Open
            ? entry
            : throw ResourceErrors.FailedPrecondition($"{name} is {entry.State.ToString().ToUpperInvariant()}, not OPEN: only open exceptions are replayed or dismissed");
    }
}
