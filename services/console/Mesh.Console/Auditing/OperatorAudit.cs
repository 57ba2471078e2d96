using Dapr.Client;
using Microsoft.Extensions.Options;

namespace Mesh.Console.Auditing;

/// <summary>One operator action as the audit trail records it.</summary>
/// <param name="Operator">Who acted: the signed-in operator's name (the token's subject).</param>
/// <param name="Action">What they did: "replay", "dismiss", "release-hold".</param>
/// <param name="Case">The case, "flows/{flow}/cases/{case}".</param>
/// <param name="RequestId">The request id the action was sent with, so a retry is recognised as one.</param>
/// <param name="Outcome">"OK", or the gRPC status the workflows app refused it with.</param>
/// <param name="Time">When the console recorded it.</param>
public sealed record AuditEntry(string Operator, string Action, string Case, string RequestId, string Outcome, DateTimeOffset Time);

/// <summary>
/// The audit trail of operator actions: each entry is published to <see cref="ConsoleOptions.AuditTopic"/> through the
/// sidecar's pub/sub API, which under pubsub.redis appends it to a Redis stream of that name (append-only; the
/// runtime-security branch's workflows audit can take over once it lands).
/// </summary>
public sealed class OperatorAudit(DaprClient dapr, IOptions<ConsoleOptions> options)
{
    /// <summary>Appends <paramref name="entry"/> to the trail.</summary>
    public Task RecordAsync(AuditEntry entry, CancellationToken ct) =>
        dapr.PublishEventAsync(options.Value.PubSub, options.Value.AuditTopic, entry, ct);
}
