using Dapr.Client;
using Dapr.Workflow;
using Google.Protobuf;
using Mesh.Contracts.Classification;
using Mesh.Contracts.Type.V1;
using Microsoft.Extensions.Options;

namespace Mesh.Workflows.InventoryToCharge;

/// <summary>
/// The last step of every case: publishes its events (each with a CloudEvent id derived from the case, so a
/// retried publish is recognisably the same event) and records the outcome, putting exceptions on the queue.
/// </summary>
public sealed class ConcludeCase(DaprClient dapr, CaseLedger ledger, CaseMetrics metrics, IOptions<SagaOptions> options, ILogger<ConcludeCase> logger) : WorkflowActivity<CaseConclusion, bool>
{
    /// <summary>The topic of the exception queue.</summary>
    public const string ExceptionTopic = "workflows.inventory_to_charge.exception";

    /// <inheritdoc />
    public override async Task<bool> RunAsync(WorkflowActivityContext context, CaseConclusion input)
    {
        var pubsub = options.Value.PubSub;
        foreach (var message in CaseMessages.EventsOf(input))
        {
            var eventId = ((EventContext)message.Descriptor.FindFieldByNumber(1).Accessor.GetValue(message)).EventId;
            await dapr.PublishByteEventAsync(pubsub, ContractCatalog.TopicOf(message.Descriptor), JsonFormatter.Default.Format(message).AsUtf8(), "application/json",
                new Dictionary<string, string> { ["cloudevent.id"] = eventId, ["cloudevent.source"] = CaseMessages.Source });
        }

        var outcome = input.Outcome;
        if (outcome.Status == CaseOutcome.Exception)
        {
            await dapr.PublishEventAsync(pubsub, ExceptionTopic, outcome,
                new Dictionary<string, string> { ["cloudevent.id"] = $"{outcome.EventId}.exception" });
        }

        await ledger.RecordAsync(outcome, CancellationToken.None);
        metrics.Concluded(outcome);
        logger.LogInformation("Case {EventId} {Status} {Reason} (compensated: {Compensated})", outcome.EventId, outcome.Status, outcome.Reason, outcome.Compensated);
        return true;
    }
}

/// <summary>UTF-8 bytes of a string.</summary>
internal static class Utf8
{
    public static ReadOnlyMemory<byte> AsUtf8(this string text) => System.Text.Encoding.UTF8.GetBytes(text);
}
