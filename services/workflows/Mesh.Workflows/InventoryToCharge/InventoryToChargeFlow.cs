using Dapr.Workflow;
using Mesh.Contracts.Workflows.V1;
using Mesh.Workflows.Cases;

namespace Mesh.Workflows.InventoryToCharge;

/// <summary>The inventory-to-charge saga as the case API sees it: its cases, its instances, and how it replays a case.</summary>
public sealed class InventoryToChargeFlow(CaseLedger ledger, DaprWorkflowClient workflows, ConsumptionIntake intake, CaseMetrics metrics) : ICaseFlow
{
    /// <inheritdoc />
    public FlowMetrics Metrics => metrics;

    /// <inheritdoc />
    public IReadOnlyList<string> DeadLetterTopics { get; } = [ConsumptionIntake.DeadLetterTopic];

    /// <inheritdoc />
    public string Id => CaseLedger.FlowId;

    /// <inheritdoc />
    public CaseStore Cases => ledger.Store;

    /// <inheritdoc />
    public string InstanceIdOf(string caseId) => ConsumptionIntake.InstanceIdOf(caseId);

    /// <inheritdoc />
    public IReadOnlySet<string> Compensations { get; } = new HashSet<string>([nameof(ReverseCost), nameof(VoidCharge), nameof(RestoreStock)], StringComparer.Ordinal);

    /// <summary>
    /// Starts a saga from the input of the case's latest run still kept, knowing what the exception's case already did
    /// (its movement and charge), so every later step finds those effects by request id instead of repeating them.
    /// </summary>
    public async Task<bool> ReplayAsync(Case exception, string replayId, CancellationToken ct)
    {
        foreach (var run in ledger.Store.RunsOf(exception).Reverse())
        {
            var saga = await workflows.GetWorkflowStateAsync(run, getInputsAndOutputs: true, ct);
            if (saga is { Exists: true } && saga.ReadInputAs<ConsumptionCase>() is { } consumption)
            {
                return await intake.StartAsync(consumption with { Prior = PriorEffects.Of(exception) }, replayId, ct);
            }
        }

        throw CaseErrors.FailedPrecondition("INPUT_PURGED", exception.Name, "cannot be replayed: its saga was purged with its input; send the event again");
    }
}
