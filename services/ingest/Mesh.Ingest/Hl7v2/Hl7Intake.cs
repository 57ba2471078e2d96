using System.Text;
using Mesh.Ingest.Intake;
using Mesh.Ingest.Mapping;
using Mesh.Ingest.Mllp;

namespace Mesh.Ingest.Hl7v2;

/// <summary>
/// The HL7 v2 adapter behind the MLLP listener: stores each frame raw, parses it, and answers an original-mode
/// ACK only once the message is durably taken in: AA when its events went out (or a resend of one that did), AE
/// when it is stored on the exception queue (the reason and field in MSA-3 and ERR), AR when it is refused and
/// nothing of it will be acted on (unparseable, unrouted, oversized, cut off) or when it should be resent later.
/// </summary>
public sealed class Hl7Intake(RawArchive raw, Hl7Mapper mapper, IngestPipeline pipeline, TimeProvider clock, ILogger<Hl7Intake> logger) : IMllpHandler
{
    /// <inheritdoc />
    public async Task<byte[]> HandleAsync(MllpFrame frame, string peer, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var ackId = IntakeKeys.NewReceipt(now);
        if (frame.Problem != MllpFrameProblem.None)
        {
            // The beginning of the frame may still hold an MSH to answer.
            var header = Hl7Parser.Parse(FirstLine(frame.Content)).Message;
            var why = frame.Problem == MllpFrameProblem.Oversized
                ? new AckError(207, $"the message is over the {frame.Content.Length}-byte part kept of it: the limit is Ingest:Mllp:MaxMessageBytes", "")
                : new AckError(100, "the frame was cut off: a start block (0x0B) arrived before the end block (0x1C 0x0D)", "");
            logger.LogWarning("Refused a frame from {Peer}: {Reason}", peer, why.Text);
            return Ack(header, AckCode.Reject, why, ackId, now);
        }

        try
        {
            return await TakeInAsync(frame, peer, ackId, now, ct);
        }
        catch (Dapr.DaprException e)
        {
            // The state store or pub/sub could not be reached: nothing is acknowledged as taken, the sender resends.
            logger.LogWarning("Could not take in a message from {Peer}: the sidecar did not answer ({Error})", peer, e.GetType().Name);
            var header = Hl7Parser.Parse(FirstLine(frame.Content)).Message;
            return Ack(header, AckCode.Reject, new AckError(207, "the message could not be stored just now; resend it", ""), ackId, now);
        }
    }

    private async Task<byte[]> TakeInAsync(MllpFrame frame, string peer, string ackId, DateTimeOffset now, CancellationToken ct)
    {
        var receipt = await raw.StoreAsync(Hl7Mapper.Name, peer, frame.Content, "application/hl7-v2", ct);
        var (message, error) = Hl7Parser.Parse(frame.Content);
        if (message is null)
        {
            logger.LogWarning("Refused message {Receipt} from {Peer}: {Reason}", receipt, peer, error!.Reason);
            return Ack(null, AckCode.Reject, new AckError(error.Location.StartsWith("MSH", StringComparison.Ordinal) ? 102 : 100, error.Reason, error.Location), ackId, now);
        }

        if (Required(message) is { } missing)
        {
            logger.LogWarning("Refused message {Receipt} from {Peer}: {Reason}", receipt, peer, missing.Text);
            return Ack(message, AckCode.Reject, missing, ackId, now);
        }

        var candidates = mapper.Candidates(message);
        if (candidates.Count == 0)
        {
            logger.LogWarning("Refused message {Receipt} ({MessageType}) from {Peer}: no route takes it", receipt, message.MessageType, peer);
            return Ack(message, AckCode.Reject, new AckError(200, $"MSH-9: message type {message.MessageType} from this sending facility is not routed by Ingest's routes file", "MSH-9"), ackId, now);
        }

        var inbound = new Inbound(Hl7Mapper.Name, message.MessageType, message.SendingFacility, message.ControlId, receipt, now);
        var outcome = await pipeline.AcceptAsync(inbound, token => mapper.MapAsync(message, candidates, token), ct);
        return outcome.Result switch
        {
            IntakeResult.Delivered => LogAccepted(message, inbound, outcome, ackId, now),
            IntakeResult.Exception => Ack(message, AckCode.Error, AckErrorOf(outcome.Failure!, outcome.Exception), ackId, now),
            _ => Ack(message, AckCode.Reject, new AckError(207, outcome.Failure!.Reason, outcome.Failure.Location), ackId, now),
        };
    }

    private byte[] LogAccepted(Hl7Message message, Inbound inbound, IntakeOutcome outcome, string ackId, DateTimeOffset now)
    {
        logger.LogInformation("Accepted message {Receipt} ({MessageType}{Duplicate}): {Count} events", inbound.Receipt, message.MessageType, outcome.Duplicate ? ", a resend" : "", outcome.EventIds.Count);
        return Ack(message, AckCode.Accept, null, ackId, now);
    }

    private static AckError AckErrorOf(MappingFailure failure, string? exception) =>
        new(failure.Hl7ErrorCode, $"{failure.Reason} (stored as {exception}; replay it once the mapping or master data is fixed)", Field(failure.Location));

    // ERR-2 takes the field, "FT1-7", of a path like "FT1-7.1".
    private static string Field(string location) => Hl7Path.TryParse(location)?.FieldName ?? location;

    private static AckError? Required(Hl7Message message) =>
        message.MessageType.Length == 0 ? new AckError(101, "MSH-9: the message type is required", "MSH-9")
        : message.ControlId.Length == 0 ? new AckError(101, "MSH-10: the message control id is required; it is what makes a resend recognisable", "MSH-10")
        : null;

    private static byte[] Ack(Hl7Message? message, AckCode code, AckError? error, string ackId, DateTimeOffset now) =>
        Encoding.UTF8.GetBytes(Hl7Ack.Build(message, code, error, ackId, now));

    private static byte[] FirstLine(byte[] content)
    {
        var end = Array.FindIndex(content, b => b is (byte)'\r' or (byte)'\n');
        return end < 0 ? content : content[..end];
    }
}
