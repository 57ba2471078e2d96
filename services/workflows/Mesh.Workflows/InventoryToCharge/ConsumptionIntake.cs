using Dapr.Workflow;
using Google.Protobuf;
using Grpc.Core;
using Mesh.Contracts.Classification;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Workflows.V1;
using Mesh.Workflows.Cases;
using Microsoft.Extensions.Options;

namespace Mesh.Workflows.InventoryToCharge;

/// <summary>
/// Turns ItemConsumed events into InventoryToCharge sagas, once per event id: the saga's instance id is derived
/// from the event id, so a redelivered or re-sent event finds its saga already there.
/// </summary>
public sealed class ConsumptionIntake(DaprWorkflowClient workflows, CaseLedger ledger, CasePatients patients, CaseMetrics metrics, IOptions<InventoryToChargeOptions> options, ILogger<ConsumptionIntake> logger)
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    /// <summary>The saga instance of an event.</summary>
    public static string InstanceIdOf(string eventId) => $"itc-{eventId}";

    /// <summary>The topic of ItemConsumed.</summary>
    public static readonly string Topic = ContractCatalog.TopicOf(ItemConsumed.Descriptor);

    /// <summary>Where the sidecar sends the ItemConsumed events this app could not take; drained onto the exception queue.</summary>
    public static readonly string DeadLetterTopic = $"{Topic}.deadletter";

    /// <summary>
    /// Starts the saga for the event (the CloudEvent's data, as protobuf JSON). Answers DROP for an event that
    /// can never be processed, which Dapr moves to the dead-letter topic; SUCCESS for a duplicate.
    /// </summary>
    public async Task<IResult> AcceptAsync(HttpRequest request, CancellationToken ct)
    {
        if (await ReadAsync(request, ct) is not { } consumed)
        {
            return Drop("the data is not an ItemConsumed in protobuf JSON", "");
        }

        if (Problem(consumed) is { } problem)
        {
            return Drop(problem, consumed.Context?.EventId ?? "");
        }

        var consumption = CaseOf(consumed, options.Value.Retry());
        var instanceId = InstanceIdOf(consumption.EventId);
        // The event seen again after its saga was purged (retention) or never ran (dead-lettered): a completed or dismissed
        // case is a duplicate; a case parked on the exception queue is taken up again as a replay is, knowing what it did,
        // and the saga's conclusion replaces the parked one.
        var parked = await ledger.Store.GetAsync(consumption.EventId, ct);
        switch (parked)
        {
            case { State: CaseState.Exception }:
                consumption = consumption with { Prior = PriorEffects.Of(parked) };
                // A case a saga parked is a duplicate while that saga is there; once it is gone, the case is taken up in
                // the replay of its conclusion, an instance of its own. A dead-lettered case never ran: this is its first run.
                if (ledger.Store.RunsOf(parked) is [.., var last])
                {
                    if (await workflows.GetWorkflowStateAsync(last, getInputsAndOutputs: false, ct) is { Exists: true })
                    {
                        logger.LogInformation("Event {EventId} was seen before; its saga {InstanceId} parked its case", consumption.EventId, last);
                        return Results.Ok();
                    }

                    instanceId = ledger.Store.ReplayIdOf(parked);
                }

                break;
            case { } concluded:
                logger.LogInformation("Event {EventId} was seen before; its case is {State}", consumption.EventId, concluded.State);
                return Results.Ok();
        }

        // The patient goes to the encrypted state store first; the saga's input and history only name it.
        await patients.SaveAsync(consumption.PatientRef, PatientOf(consumed), ct);
        if (await StartAsync(consumption, instanceId, ct))
        {
            // The message is logged whole: the service defaults' logger redacts its PHI and PII fields.
            logger.LogInformation("Started saga {InstanceId} for {Event}", instanceId, consumed);
        }

        if (parked is not null)
        {
            // The parked case lists the run that took it up, as an operator's replay does.
            await ledger.Store.RecordRunAsync(consumption.EventId, instanceId, "", null, ct);
        }

        return Results.Ok();
    }

    /// <summary>
    /// Puts an event that reached the dead-letter topic on the exception queue as <c>dead_lettered</c>, with why it
    /// could not be processed, unless its case already has an outcome or its saga exists. An event without a usable id
    /// cannot be tracked and is only logged.
    /// </summary>
    public async Task<IResult> DeadLetteredAsync(HttpRequest request, CancellationToken ct)
    {
        var consumed = await ReadAsync(request, ct);
        if (consumed?.Context is not { EventId: var id } || !CaseNames.IsCaseId(id))
        {
            logger.LogWarning("An ItemConsumed event without a usable event id was dead-lettered; it cannot be put on the exception queue");
            return Results.Ok();
        }

        // An event whose saga started before its delivery failed (the app died before acknowledging it) belongs to that
        // saga, which concludes the case; parking it too would leave the saga's effects under a dead-lettered case.
        var saga = await workflows.GetWorkflowStateAsync(InstanceIdOf(id), getInputsAndOutputs: false, ct);
        if (saga?.Exists == true)
        {
            logger.LogInformation("Event {EventId} was dead-lettered after its saga {InstanceId} started; the saga concludes its case", id, InstanceIdOf(id));
            return Results.Ok();
        }

        var why = Problem(consumed) ?? "its saga could not be started";
        await ledger.RecordDeadLetteredAsync(consumed, why, ct);
        logger.LogWarning("Event {EventId} was dead-lettered: {Reason}", id, why);

        return Results.Ok();
    }

    private static async Task<ItemConsumed?> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            using var reader = new StreamReader(request.Body);
            return Parser.Parse<ItemConsumed>(await reader.ReadToEndAsync(ct));
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException)
        {
            return null;
        }
    }

    /// <summary>Starts a saga for the case under <paramref name="instanceId"/> unless one exists; false when it did.</summary>
    public async Task<bool> StartAsync(ConsumptionCase consumption, string instanceId, CancellationToken ct)
    {
        var existing = await workflows.GetWorkflowStateAsync(instanceId, getInputsAndOutputs: false, ct);
        if (existing?.Exists == true)
        {
            logger.LogInformation("Event {EventId} was seen before; its saga {InstanceId} is {Status}", consumption.EventId, instanceId, existing.RuntimeStatus);
            return false;
        }

        try
        {
            await workflows.ScheduleNewWorkflowAsync(nameof(InventoryToChargeWorkflow), instanceId, consumption, null, ct);
            metrics.Started(consumption.EventId);
            return true;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
        {
            // A concurrent delivery of the same event won the race.
            return false;
        }
    }

    private IResult Drop(string reason, string eventId)
    {
        logger.LogWarning("Dropped an ItemConsumed event {EventId}: {Reason}", eventId, reason);
        return Results.Ok(new { status = "DROP" });
    }

    // Names fields only: the values may be patient data.
    private static string? Problem(ItemConsumed consumed) =>
        consumed.Context is not { EventId: var id } || !CaseNames.IsCaseId(id) ? $"context.event_id is missing or not {CaseNames.CaseIdRule}"
        : !consumed.Item.StartsWith("items/", StringComparison.Ordinal) ? "item is not an item name"
        : !consumed.Location.StartsWith("locations/", StringComparison.Ordinal) ? "location is not a location name"
        : consumed.Quantity is not { } quantity || quantity.ToDecimal() <= 0 || quantity.Unit.Length == 0 ? "quantity must be positive with a unit"
        : consumed.Patient is not { Mrn.Length: > 0, EncounterId.Length: > 0 } ? "patient.mrn and patient.encounter_id are required"
        : consumed.Context.OccurTime is null ? "context.occur_time is required: it is the service time of the charge and the date of the posting"
        : null;

    /// <summary>
    /// The saga's input for a well-formed event (see <see cref="AcceptAsync"/> for what is checked): everything but the
    /// patient, which it names by reference.
    /// </summary>
    public static ConsumptionCase CaseOf(ItemConsumed consumed, SagaRetry retry) => new(
        consumed.Context.EventId,
        consumed.Item,
        consumed.Location,
        consumed.CostCenter,
        consumed.Quantity.ToDecimal(),
        consumed.Quantity.Unit,
        CasePatients.RefOf(consumed.Context.EventId),
        consumed.Context.OccurTime.ToDateTimeOffset(),
        consumed.RecordedBy,
        consumed.Context.Source,
        consumed.Context.CorrelationId,
        retry);

    /// <summary>The patient link of a well-formed event.</summary>
    public static PatientLink PatientOf(ItemConsumed consumed) =>
        new(consumed.Patient.Mrn, consumed.Patient.MrnSystem, consumed.Patient.EncounterId, consumed.ClinicalOrderId);
}
