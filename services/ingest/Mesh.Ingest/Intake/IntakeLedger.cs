using Dapr;
using Dapr.Client;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Intake;

/// <summary>Where a message stands in the intake ledger.</summary>
public static class IntakeStatus
{
    /// <summary>Mapped and recorded; its events may not all have been delivered yet.</summary>
    public const string Accepted = "accepted";

    /// <summary>Its events were delivered.</summary>
    public const string Delivered = "delivered";

    /// <summary>It could not be mapped and is on the exception queue.</summary>
    public const string Exception = "exception";
}

/// <summary>An event waiting for delivery: its canonical message as protobuf JSON, the flow and the ordering key.</summary>
public sealed record PendingEvent(string Type, string Json, string Flow, string OrderingKey);

/// <summary>What the intake ledger keeps of a message, keyed by what identifies it, so a resend has no second effect.</summary>
/// <param name="Receipt">The stored raw message.</param>
/// <param name="Status">accepted, delivered or exception.</param>
/// <param name="EventIds">The ids of the canonical events it produced.</param>
/// <param name="Pending">While accepted: the events, so a resend (or a restart) can finish delivering them.</param>
/// <param name="Exception">The exception queue entry, when it could not be mapped.</param>
/// <param name="Reason">The mapping failure's reason, for the answer to a resend.</param>
/// <param name="Location">The mapping failure's location.</param>
/// <param name="ErrorCode">The mapping failure's HL7 error code.</param>
public sealed record IntakeRecord(
    string Receipt, string Status, IReadOnlyList<string> EventIds, IReadOnlyList<PendingEvent>? Pending = null,
    string? Exception = null, string? Reason = null, string? Location = null, int ErrorCode = 0);

/// <summary>
/// The intake ledger: one record per inbound message identity (HL7 MSH-10 with the sending facility, a FHIR
/// resource's identity), claimed with first-write concurrency so two copies racing in are processed once. Records
/// are kept as long as raw messages are, which is the window in which a resend is recognised.
/// </summary>
public sealed class IntakeLedger(DaprClient dapr, IOptions<IngestOptions> options)
{
    private static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };

    /// <summary>The record of <paramref name="key"/> with its ETag, or null.</summary>
    public async Task<(IntakeRecord? Record, string ETag)> GetAsync(string key, CancellationToken ct)
    {
        var (record, etag) = await dapr.GetStateAndETagAsync<IntakeRecord?>(options.Value.StateStore, Key(key), cancellationToken: ct);
        return (record, etag ?? "");
    }

    /// <summary>Writes the record if <paramref name="etag"/> is still current ("" for a key that must not exist yet); false when another writer won.</summary>
    public async Task<bool> TryWriteAsync(string key, IntakeRecord record, string etag, CancellationToken ct)
    {
        try
        {
            await dapr.ExecuteStateTransactionAsync(options.Value.StateStore,
                [new StateTransactionRequest(Key(key), System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(record, Json), StateOperationType.Upsert,
                    etag.Length == 0 ? null : etag, RawArchive.Retention(options.Value), FirstWrite)],
                cancellationToken: ct);
            return true;
        }
        catch (DaprException e) when (e.InnerException is RpcException { StatusCode: StatusCode.Aborted })
        {
            return false;
        }
    }

    // The Dapr client reads state with web defaults (camelCase); records are written the same way.
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    private static string Key(string key) => $"seen:{key}";
}
