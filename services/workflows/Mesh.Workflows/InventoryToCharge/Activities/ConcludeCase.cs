using Dapr.Client;
using Dapr.Workflow;
using Mesh.Resources;
using Microsoft.Extensions.Options;

namespace Mesh.Workflows.InventoryToCharge;

/// <summary>
/// The last step of every case: publishes its events (each with a CloudEvent id derived from the case, so a
/// retried publish is recognisably the same event) and records the outcome, putting exceptions on the queue.
/// </summary>
public sealed class ConcludeCase(DaprClient dapr, ContractEvents events, CaseLedger ledger, CasePatients patients, CaseMetrics metrics, IOptions<InventoryToChargeOptions> options, ILogger<ConcludeCase> logger) : WorkflowActivity<CaseConclusion, bool>
{
    /// <summary>The topic of the exception queue.</summary>
    public const string ExceptionTopic = "workflows.inventory_to_charge.exception";

    /// <inheritdoc />
    public override async Task<bool> RunAsync(WorkflowActivityContext context, CaseConclusion input)
    {
        var patient = await patients.GetAsync(input.Case.PatientRef, CancellationToken.None);
        foreach (var message in CaseMessages.EventsOf(input, patient))
        {
            await events.PublishAsync(message, CancellationToken.None);
        }

        var outcome = input.Outcome;
        if (outcome.Status == CaseOutcome.Exception)
        {
            await dapr.PublishEventAsync(options.Value.PubSub, ExceptionTopic, outcome,
                new Dictionary<string, string> { ["cloudevent.id"] = $"{outcome.EventId}.exception" });
        }

        await ledger.RecordAsync(input, patient, CancellationToken.None);
        metrics.Concluded(outcome);
        logger.LogInformation("Case {EventId} {Status} {Reason} (compensated: {Compensated})", outcome.EventId, outcome.Status, outcome.Reason, outcome.Compensated);
        return true;
    }
}
