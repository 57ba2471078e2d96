using Google.Protobuf;
using Mesh.Ingest.Mapping;

namespace Mesh.Ingest.Intake;

/// <summary>What identifies an inbound message and where it was stored.</summary>
/// <param name="Format">hl7v2 or fhir.</param>
/// <param name="MessageType">e.g. "DFT^P03", "ChargeItem".</param>
/// <param name="SendingFacility">MSH-4, or the FHIR client's source.</param>
/// <param name="ControlId">MSH-10, or the resource's identity.</param>
/// <param name="Receipt">The stored raw message.</param>
/// <param name="ReceiveTime">When it arrived.</param>
public sealed record Inbound(string Format, string MessageType, string SendingFacility, string ControlId, string Receipt, DateTimeOffset ReceiveTime)
{
    /// <summary>The message's key in the intake ledger: a resend has the same one.</summary>
    public string Key => IntakeKeys.Of(Format, SendingFacility, ControlId);
}

/// <summary>A canonical message and where it goes.</summary>
/// <param name="Message">The canonical message; events get their EventContext from the intake.</param>
/// <param name="Flow">The route's flow.</param>
/// <param name="OrderingKey">Messages with one key (a patient encounter) are delivered in order.</param>
public sealed record Routed(IMessage Message, string Flow, string OrderingKey);

/// <summary>The result of mapping one inbound message: its canonical messages, or the first failure.</summary>
/// <param name="Mapped">The canonical messages, in message order (none when every line is ignored).</param>
/// <param name="Failure">Why it could not be mapped.</param>
/// <param name="Mapping">The mapping used (or that failed), "id@version".</param>
public sealed record MapResult(IReadOnlyList<Routed> Mapped, MappingFailure? Failure, string Mapping)
{
    /// <summary>A failure.</summary>
    public static MapResult Failed(MappingFailure failure, string mapping) => new([], failure, mapping);
}

/// <summary>How the intake ended for a message.</summary>
public enum IntakeResult
{
    /// <summary>Mapped and delivered (now, or by an earlier copy of it).</summary>
    Delivered,

    /// <summary>Stored and on the exception queue.</summary>
    Exception,

    /// <summary>Not taken now (master data or pub/sub unavailable); the sender should resend.</summary>
    Retry,
}

/// <summary>The intake's answer about a message.</summary>
/// <param name="Result">How it ended.</param>
/// <param name="EventIds">The canonical event ids it produced.</param>
/// <param name="Failure">Why it is on the exception queue, or why to resend.</param>
/// <param name="Exception">The exception queue entry.</param>
/// <param name="Duplicate">True when an earlier copy (same identity) was already taken.</param>
/// <param name="Receipt">The receipt of the copy that was taken (the first one, for a resend).</param>
public sealed record IntakeOutcome(IntakeResult Result, IReadOnlyList<string> EventIds, MappingFailure? Failure, string? Exception, bool Duplicate, string Receipt);
