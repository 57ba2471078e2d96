namespace Mesh.Workflows.InventoryToCharge;

// The saga's inputs and outputs are plain records: the workflow runtime stores them as JSON in its history,
// and protobuf messages do not round-trip through System.Text.Json.

/// <summary>
/// One supply consumption to carry through inventory, charges and the ERP. It is the saga's input, stored in its
/// workflow history, so it names the patient only by <paramref name="PatientRef"/>: the patient link itself is in the
/// encrypted state store (<see cref="CasePatients"/>), read by the steps that hand it to a service or record it.
/// </summary>
/// <param name="EventId">The ItemConsumed event id: the idempotency key of everything the case causes.</param>
/// <param name="PatientRef">The state key of the case's <see cref="PatientLink"/>.</param>
/// <param name="Retry">How patiently the saga retries, fixed when the case starts (workflows take no injected settings).</param>
/// <param name="Prior">For a replay, what the case it repeats already did.</param>
public sealed record ConsumptionCase(
    string EventId,
    string Item,
    string Location,
    string CostCenter,
    decimal Quantity,
    string Unit,
    string PatientRef,
    DateTimeOffset OccurTime,
    string RecordedBy,
    string Source,
    string CorrelationId,
    SagaRetry Retry,
    PriorEffects? Prior = null);

/// <summary>The stock movement and charge a case made before it was parked on the exception queue.</summary>
public sealed record PriorEffects(string Movement, string Charge)
{
    /// <summary>A case that has done nothing yet.</summary>
    public static PriorEffects None { get; } = new("", "");

    /// <summary>What a parked case records it did.</summary>
    public static PriorEffects Of(Mesh.Contracts.Workflows.V1.Case parked) =>
        parked.InventoryToCharge is { } done ? new(done.StockMovement, done.Charge) : None;
}

/// <summary>The saga's retry settings: attempts of ordinary steps and of the ERP posting, and the backoff.</summary>
public sealed record SagaRetry(int StepAttempts, int PostingAttempts, TimeSpan FirstRetryInterval, TimeSpan MaxRetryInterval)
{
    /// <summary>The retry policy of ordinary steps.</summary>
    public Dapr.Workflow.WorkflowRetryPolicy Steps() => new(StepAttempts, FirstRetryInterval, 2.0, MaxRetryInterval);

    /// <summary>The retry policy of the ERP posting.</summary>
    public Dapr.Workflow.WorkflowRetryPolicy Posting() => new(PostingAttempts, FirstRetryInterval, 2.0, MaxRetryInterval);
}

/// <summary>
/// The patient encounter the supply was used for and the clinical order (PHI: never logged, never in the saga's input,
/// history or outcome; kept in the encrypted state store, and in the case API in fields classified PHI).
/// </summary>
public sealed record PatientLink(string Mrn, string MrnSystem, string EncounterId, string ClinicalOrderId);

/// <summary>What master data says about the case: whether it may proceed, and what the later steps need.</summary>
public sealed record CaseCheck(
    bool Ok,
    string Reason,
    string Detail,
    bool Chargeable,
    string CostCenter,
    string CompanyCode,
    decimal UnitCost,
    string Currency)
{
    /// <summary>A refusal: the case goes to the exception queue and nothing changes.</summary>
    public static CaseCheck Refused(string reason, string detail) => new(false, reason, detail, false, "", "", 0, "");
}

/// <summary>The consumption movement inventory recorded.</summary>
public sealed record StockTaken(bool Ok, string Reason, string Detail, string Movement, decimal OnHandAfter, string Balance, bool ReorderPointCrossed, decimal ReorderPoint, decimal ParLevel);

/// <summary>The patient charge captured, when the item is chargeable.</summary>
public sealed record ChargeTaken(bool Ok, string Reason, string Detail, string Charge, string ChargeCode, decimal Amount, string Currency);

/// <summary>The cost posting to the ERP.</summary>
public sealed record CostPosting(bool Ok, string Reason, string Detail, string JournalEntry, string ErpDocument, decimal Amount, string Currency, string GlAccount);

/// <summary>What a compensation step undoes: the movement, the charge and, when a replay found one, the cost posting.</summary>
public sealed record Compensation(ConsumptionCase Case, string Movement, string Charge, string Reason, string JournalEntry = "");

/// <summary>What a case's earlier attempts left in each service, found by their request ids ("" where nothing landed).</summary>
public sealed record CaseEffects(string Movement, string Charge, string JournalEntry);

/// <summary>How long one step of the saga took, from the workflow's replay-safe clock.</summary>
public sealed record StepTiming(string Step, double Milliseconds);

/// <summary>
/// How a case ended: completed, or on the exception queue with its reason. It is the saga's output in its workflow
/// history, so it holds references and amounts and no patient data; the <see cref="CaseLedger"/> records it, with the
/// consumption it is about, as the mesh.workflows.v1.Case the case API serves.
/// </summary>
public sealed record CaseOutcome(
    string EventId,
    string Status,
    string Reason,
    string Detail,
    bool Compensated,
    bool Replayable,
    string Item,
    string Location,
    string Movement,
    string Charge,
    string JournalEntry,
    string ErpDocument,
    bool ReorderPointReached,
    DateTimeOffset OccurTime,
    DateTimeOffset PostTime,
    DateTimeOffset FinishTime,
    IReadOnlyList<StepTiming> Steps)
{
    /// <summary>The status of a case whose every effect landed.</summary>
    public const string Completed = "completed";

    /// <summary>The status of a case on the exception queue.</summary>
    public const string Exception = "exception";
}

/// <summary>The outcome with what its events need: the case itself and each step's result.</summary>
public sealed record CaseConclusion(ConsumptionCase Case, CaseOutcome Outcome, StockTaken? Stock, ChargeTaken? Charge, CostPosting? Posting);
