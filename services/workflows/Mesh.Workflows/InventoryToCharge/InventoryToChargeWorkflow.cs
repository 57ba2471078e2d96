using Dapr.Workflow;

namespace Mesh.Workflows.InventoryToCharge;

/// <summary>
/// The inventory-to-charge saga: validate against master data, take the stock, capture the patient charge,
/// post the cost to the ERP, then publish what happened. A refusal after partial progress is compensated
/// (stock restored, charge voided) and the case goes to the exception queue with its reason. Transient failures
/// are retried with backoff by the workflow runtime; a posting the ERP never acknowledged is parked on the
/// queue as replayable instead of compensated, because it may have landed.
/// </summary>
public sealed class InventoryToChargeWorkflow : Workflow<ConsumptionCase, CaseOutcome>
{
    /// <inheritdoc />
    public override async Task<CaseOutcome> RunAsync(WorkflowContext context, ConsumptionCase input)
    {
        var steps = new Steps(context);
        var retry = new WorkflowTaskOptions(input.Retry.Steps());
        // A replay knows what the case it repeats already did; every later step finds those effects by request id.
        var prior = input.Prior ?? PriorEffects.None;

        var check = await StepAsync<CaseCheck>(context, nameof(CheckCase), input, retry);
        steps.Done("validate");
        if (check.Failure is { } checkFailure)
        {
            return await ConcludeAsync(context, steps, input, Refusal(input, "masterdata_unavailable", checkFailure) with { Movement = prior.Movement, Charge = prior.Charge }, null, null, null);
        }

        if (!check.Value!.Ok)
        {
            var refusal = Refusal(input, check.Value.Reason, check.Value.Detail);
            return input.Prior is null
                ? await ConcludeAsync(context, steps, input, refusal, null, null, null)
                : await UndoReplayedAsync(context, steps, retry, input, refusal);
        }

        var stock = await StepAsync<StockTaken>(context, nameof(TakeStock), input, retry);
        steps.Done("inventory");
        if (stock.Failure is { } stockFailure)
        {
            return await ConcludeAsync(context, steps, input, Refusal(input, "inventory_unavailable", stockFailure), null, null, null);
        }

        if (!stock.Value!.Ok)
        {
            return await ConcludeAsync(context, steps, input, Refusal(input, stock.Value.Reason, stock.Value.Detail), stock.Value, null, null);
        }

        var movement = stock.Value.Movement;
        ChargeTaken? charge = null;
        if (check.Value.Chargeable)
        {
            var captured = await StepAsync<ChargeTaken>(context, nameof(CaptureCharge), input, retry);
            steps.Done("charge");
            if (captured.Failure is { } chargeFailure)
            {
                return await ConcludeAsync(context, steps, input, Refusal(input, "charges_unavailable", chargeFailure) with { Movement = movement }, stock.Value, null, null);
            }

            charge = captured.Value!;
            if (!charge.Ok)
            {
                return await CompensatedAsync(context, steps, retry, input, Refusal(input, charge.Reason, charge.Detail), movement, "", stock.Value, charge, null);
            }
        }

        var chargeName = charge?.Charge ?? "";
        var posting = await StepAsync<CostPosting>(context, nameof(PostCost), new CostToPost(input, check.Value), new WorkflowTaskOptions(input.Retry.Posting()));
        steps.Done("finance");
        if (posting.Failure is { } postingFailure)
        {
            return await ConcludeAsync(context, steps, input, Refusal(input, "erp_unavailable", postingFailure) with { Movement = movement, Charge = chargeName }, stock.Value, charge, null);
        }

        if (!posting.Value!.Ok)
        {
            return await CompensatedAsync(context, steps, retry, input, Refusal(input, posting.Value.Reason, posting.Value.Detail), movement, chargeName, stock.Value, charge, posting.Value);
        }

        var completed = new CaseOutcome(
            input.EventId, CaseOutcome.Completed, "", "", false, false, input.Item, input.Location, movement, chargeName,
            posting.Value.JournalEntry, posting.Value.ErpDocument, stock.Value.ReorderPointCrossed, input.OccurTime, context.CurrentUtcDateTime, default, []);
        return await ConcludeAsync(context, steps, input, completed, stock.Value, charge, posting.Value);
    }

    // A step that never answered (retries exhausted) may still have taken effect, so it is not compensated: the
    // case is parked on the exception queue, and a replay repeats every step with the same request ids.
    private static async Task<(T? Value, string? Failure)> StepAsync<T>(WorkflowContext context, string activity, object input, WorkflowTaskOptions retry)
        where T : class
    {
        try
        {
            return (await context.CallActivityAsync<T>(activity, input, retry), null);
        }
        catch (WorkflowTaskFailedException e)
        {
            return (null, e.FailureDetails.ErrorMessage);
        }
    }

    // Master data refuses a replay: whatever the case's earlier attempts left in any service is undone. What the
    // parked case recorded is not enough, because the step it gave up on may have landed without answering; each
    // service is asked by the step's request id. If they cannot be asked now, the refusal stays replayable.
    private static async Task<CaseOutcome> UndoReplayedAsync(WorkflowContext context, Steps steps, WorkflowTaskOptions retry, ConsumptionCase input, CaseOutcome refusal)
    {
        var (landed, failure) = await StepAsync<CaseEffects>(context, nameof(FindEffects), input, retry);
        if (failure is not null)
        {
            return await ConcludeAsync(context, steps, input, refusal with { Detail = $"{refusal.Detail}; what the case did before could not be checked: {failure}" }, null, null, null);
        }

        return landed!.Movement.Length == 0 && landed.Charge.Length == 0 && landed.JournalEntry.Length == 0
            ? await ConcludeAsync(context, steps, input, refusal, null, null, null)
            : await CompensatedAsync(context, steps, retry, input, refusal, landed.Movement, landed.Charge, null, null, null, landed.JournalEntry);
    }

    // Reverses the cost posting (only a replay finds one), voids the charge and restores the stock, then concludes the refusal as compensated. When an undo step itself
    // gives up, the case goes on the queue as compensation_failed, for someone to finish by hand (not replayable).
    private static async Task<CaseOutcome> CompensatedAsync(
        WorkflowContext context, Steps steps, WorkflowTaskOptions retry, ConsumptionCase input, CaseOutcome refusal,
        string movement, string chargeName, StockTaken? stock, ChargeTaken? charge, CostPosting? posting, string journalEntry = "")
    {
        var compensation = new Compensation(input, movement, chargeName, refusal.Reason, journalEntry);
        // Every undo step runs even when another gave up, so the least possible is left for someone to finish by hand.
        string?[] failures =
        [
            journalEntry.Length > 0 ? (await StepAsync<object>(context, nameof(ReverseCost), compensation, retry)).Failure : null,
            chargeName.Length > 0 ? (await StepAsync<object>(context, nameof(VoidCharge), compensation, retry)).Failure : null,
            movement.Length > 0 ? (await StepAsync<object>(context, nameof(RestoreStock), compensation, retry)).Failure : null,
        ];
        var failure = string.Join("; ", failures.OfType<string>());
        steps.Done("compensate");
        var undone = refusal with { Replayable = false, Movement = movement, Charge = chargeName, JournalEntry = journalEntry };
        var outcome = failure.Length == 0
            ? undone with { Compensated = true }
            : undone with { Reason = "compensation_failed", Detail = $"{refusal.Reason}: {refusal.Detail}; undoing it failed: {failure}" };
        return await ConcludeAsync(context, steps, input, outcome, stock, charge, posting);
    }

    // Until something is compensated, a case on the exception queue can be replayed: every step repeats with the
    // same request ids, so what already happened is not done twice. A compensated case cannot: its request ids
    // are spent on effects that were undone.
    private static CaseOutcome Refusal(ConsumptionCase input, string reason, string detail) =>
        new(input.EventId, CaseOutcome.Exception, reason, detail, false, true, input.Item, input.Location, "", "", "", "", false, input.OccurTime, default, default, []);

    private static async Task<CaseOutcome> ConcludeAsync(
        WorkflowContext context, Steps steps, ConsumptionCase input, CaseOutcome outcome, StockTaken? stock, ChargeTaken? charge, CostPosting? posting)
    {
        var finished = outcome with { FinishTime = context.CurrentUtcDateTime, Steps = steps.Timings };
        // Generous like the posting: without its conclusion a case is on no list at all.
        await context.CallActivityAsync<bool>(nameof(ConcludeCase), new CaseConclusion(input, finished, stock, charge, posting), new WorkflowTaskOptions(input.Retry.Posting()));
        return finished;
    }

    /// <summary>Step durations from the workflow's clock, which replays identically.</summary>
    private sealed class Steps(WorkflowContext context)
    {
        private readonly List<StepTiming> timings = [];
        private DateTime last = context.CurrentUtcDateTime;

        public IReadOnlyList<StepTiming> Timings => timings;

        public void Done(string step)
        {
            var now = context.CurrentUtcDateTime;
            timings.Add(new StepTiming(step, (now - last).TotalMilliseconds));
            last = now;
        }
    }
}

/// <summary>The input of the cost posting: the case and what master data said about it.</summary>
public sealed record CostToPost(ConsumptionCase Case, CaseCheck Check);
