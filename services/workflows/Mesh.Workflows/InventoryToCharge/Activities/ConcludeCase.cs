using Dapr.Client;
using Dapr.Workflow;
using Microsoft.Extensions.Options;

namespace Mesh.Workflows.InventoryToCharge;

/// <summary>
/// The last step of every case: records the outcome and puts an exception on the queue, publishing it (with a
/// CloudEvent id derived from the case, so a retried publish is recognisably the same event). The services announce
/// their own changes; the saga publishes only its exceptions.
/// </summary>
public sealed class ConcludeCase(DaprClient dapr, CaseLedger ledger, CasePatients patients, CaseMetrics metrics, IOptions<InventoryToChargeOptions> options, ILogger<ConcludeCase> logger) : WorkflowActivity<CaseConclusion, bool>
{
    /// <summary>The topic of the exception queue.</summary>
    public const string ExceptionTopic = "workflows.inventory_to_charge.exception";

    /// <inheritdoc />
    public override async Task<bool> RunAsync(WorkflowActivityContext context, CaseConclusion input)
    {
        var outcome = input.Outcome;
        if (outcome.Status == CaseOutcome.Exception)
        {
            await dapr.PublishEventAsync(options.Value.PubSub, ExceptionTopic, outcome,
                new Dictionary<string, string> { ["cloudevent.id"] = $"{outcome.EventId}.exception" });
        }

        await ledger.RecordAsync(input, await patients.GetAsync(input.Case.PatientRef, CancellationToken.None), context.InstanceId, CancellationToken.None);
        metrics.Concluded(outcome);
        logger.LogInformation("Case {EventId} {Status} {Reason} (compensated: {Compensated})", outcome.EventId, outcome.Status, outcome.Reason, outcome.Compensated);
        return true;
    }
}
