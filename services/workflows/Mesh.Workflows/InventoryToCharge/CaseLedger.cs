using Dapr.Client;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Contracts.Workflows.V1;
using Mesh.Workflows.Cases;
using Microsoft.Extensions.Options;

namespace Mesh.Workflows.InventoryToCharge;

/// <summary>
/// The inventory-to-charge cases: each conclusion recorded as a mesh.workflows.v1.Case in the flow's
/// <see cref="CaseStore"/>, which keeps the exception queue; the queue's depth goes to the flow's metrics.
/// </summary>
public sealed class CaseLedger(DaprClient dapr, IOptions<InventoryToChargeOptions> options, CaseMetrics metrics, TimeProvider time)
{
    /// <summary>The flow id: cases are "flows/inventory-to-charge/cases/{event_id}".</summary>
    public const string FlowId = "inventory-to-charge";

    /// <summary>The flow's cases and exception queue.</summary>
    public CaseStore Store { get; } = new(dapr, options.Value.StateStore, FlowId, ConsumptionIntake.InstanceIdOf, time, metrics.QueueDepth);

    /// <summary>
    /// Records how the saga instance <paramref name="run"/> concluded its case, listing the run among the case's; an
    /// exception joins the queue, a completed replay leaves it.
    /// </summary>
    public Task RecordAsync(CaseConclusion conclusion, PatientLink patient, string run, CancellationToken ct)
    {
        var concluded = CaseOf(conclusion, patient);
        concluded.RunInstanceIds.Add(run);
        return Store.RecordAsync(concluded, unlessRecorded: false, ct);
    }

    /// <summary>
    /// Parks an event that reached the dead-letter topic as a <c>dead_lettered</c> exception with why it could not be
    /// processed (not replayable: it has no saga), unless its case already concluded.
    /// </summary>
    public Task RecordDeadLetteredAsync(ItemConsumed consumed, string why, CancellationToken ct) =>
        Store.RecordAsync(new Case
        {
            Name = CaseNames.Of(FlowId, consumed.Context.EventId),
            State = CaseState.Exception,
            Reason = "dead_lettered",
            Detail = why,
            ConcludeTime = Timestamp.FromDateTimeOffset(time.GetUtcNow()),
            InventoryToCharge = new InventoryToChargeCase
            {
                Item = consumed.Item,
                Location = consumed.Location,
                CostCenter = consumed.CostCenter,
                Quantity = consumed.Quantity,
                Patient = consumed.Patient,
                ClinicalOrderId = consumed.ClinicalOrderId,
                OccurTime = consumed.Context.OccurTime,
            },
        }, unlessRecorded: true, ct);

    /// <summary>The case of a saga's conclusion: the outcome, with the consumption (and the patient) it is about.</summary>
    public static Case CaseOf(CaseConclusion conclusion, PatientLink patient)
    {
        var (input, outcome) = (conclusion.Case, conclusion.Outcome);
        return new Case
        {
            Name = CaseNames.Of(FlowId, outcome.EventId),
            State = outcome.Status == CaseOutcome.Completed ? CaseState.Completed : CaseState.Exception,
            Reason = outcome.Reason,
            Detail = outcome.Detail,
            Compensated = outcome.Compensated,
            Replayable = outcome.Replayable,
            ConcludeTime = Timestamp.FromDateTimeOffset(outcome.FinishTime),
            Steps = { outcome.Steps.Select(s => new CaseStep { Step = s.Step, Duration = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(s.Milliseconds)) }) },
            InventoryToCharge = new InventoryToChargeCase
            {
                Item = input.Item,
                Location = input.Location,
                CostCenter = input.CostCenter,
                Quantity = Quantity.Of(input.Quantity, input.Unit),
                Patient = CasePatients.Reference(patient),
                ClinicalOrderId = patient.ClinicalOrderId,
                OccurTime = Timestamp.FromDateTimeOffset(input.OccurTime),
                StockMovement = outcome.Movement,
                Charge = outcome.Charge,
                JournalEntry = outcome.JournalEntry,
                ErpDocumentNumber = outcome.ErpDocument,
                PostTime = outcome.PostTime == default ? null : Timestamp.FromDateTimeOffset(outcome.PostTime),
                ReorderPointReached = outcome.ReorderPointReached,
            },
        };
    }
}
