using Dapr.Workflow;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;

namespace Mesh.Workflows.InventoryToCharge;

// Each activity is one call (or one group of reads) against a service, through the sidecar. A refusal the
// saga must act on comes back as a result with its reason; anything transient throws, so the workflow
// runtime retries it with backoff. Every write carries a request id derived from the event id.

/// <summary>Validates item, location and cost center against master data.</summary>
public sealed class CheckCase(ItemService.ItemServiceClient items, LocationService.LocationServiceClient locations, CostCenterService.CostCenterServiceClient costCenters, CaseMetrics metrics)
    : WorkflowActivity<ConsumptionCase, CaseCheck>
{
    /// <inheritdoc />
    public override async Task<CaseCheck> RunAsync(WorkflowActivityContext context, ConsumptionCase input)
    {
        metrics.Progressed(input.EventId, nameof(CheckCase));
        var itemCall = Lookup(() => items.GetItemAsync(new GetItemRequest { Name = input.Item }).ResponseAsync);
        var locationCall = Lookup(() => locations.GetLocationAsync(new GetLocationRequest { Name = input.Location }).ResponseAsync);
        var (item, location) = (await itemCall, await locationCall);
        if (item is null || item.State != ItemState.Active)
        {
            return CaseCheck.Refused("unknown_item", item is null ? $"{input.Item} does not exist in master data" : $"{input.Item} is {item.State}, not active");
        }

        if (location is null || location.State != LocationState.Active)
        {
            return CaseCheck.Refused("unknown_location", location is null ? $"{input.Location} does not exist in master data" : $"{input.Location} is {location.State}, not active");
        }

        if (!string.Equals(item.StockingUnit, input.Unit, StringComparison.Ordinal))
        {
            return CaseCheck.Refused("unit_mismatch", $"consumed in {input.Unit}, but {input.Item} is stocked in {item.StockingUnit}");
        }

        var costCenterName = input.CostCenter.Length > 0 ? input.CostCenter : location.CostCenter;
        var costCenter = costCenterName.Length == 0 ? null
            : await Lookup(() => costCenters.GetCostCenterAsync(new GetCostCenterRequest { Name = costCenterName }).ResponseAsync);
        if (costCenter is null || costCenter.State != CostCenterState.Active)
        {
            return CaseCheck.Refused("unknown_cost_center", costCenterName.Length == 0 ? $"neither the event nor {input.Location} names a cost center" : $"{costCenterName} does not exist or is not active");
        }

        if (item.StandardCost is not { } cost || cost.ToDecimal() <= 0)
        {
            return CaseCheck.Refused("unpriced_item", $"{input.Item} has no standard cost to post");
        }

        return new CaseCheck(true, "", "", item.Chargeable, costCenter.Name, costCenter.CompanyCode, cost.ToDecimal(), cost.CurrencyCode);
    }

    // NOT_FOUND and a malformed name both mean "no such thing" to the saga; anything else is transient.
    private static async Task<T?> Lookup<T>(Func<Task<T>> call) where T : class
    {
        try
        {
            return await call();
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            return null;
        }
    }
}

/// <summary>Takes the consumed quantity from the location's balance.</summary>
public sealed class TakeStock(InventoryService.InventoryServiceClient inventory, CasePatients patients, CaseMetrics metrics) : WorkflowActivity<ConsumptionCase, StockTaken>
{
    /// <inheritdoc />
    public override async Task<StockTaken> RunAsync(WorkflowActivityContext context, ConsumptionCase input)
    {
        metrics.Progressed(input.EventId, nameof(TakeStock));
        var patient = await patients.GetAsync(input.PatientRef, CancellationToken.None);
        StockMovement movement;
        try
        {
            var consumption = CaseMessages.Movement(input, StockMovementType.Consumption, -input.Quantity, CaseMessages.Consume);
            consumption.StockMovement.Patient = CasePatients.Reference(patient);
            movement = await inventory.CreateStockMovementAsync(consumption);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.InvalidArgument)
        {
            var reason = e.StatusCode == StatusCode.FailedPrecondition ? "insufficient_stock" : "inventory_refused";
            return new StockTaken(false, reason, e.Status.Detail, "", 0, "", false, 0, 0);
        }

        // Inventory announces ReorderPointReached itself; the case only records that the movement crossed it.
        var balanceName = $"{input.Location}/balances/{input.Item["items/".Length..]}";
        return new StockTaken(true, "", "", movement.Name, movement.OnHandAfter.ToDecimal(), balanceName, movement.ReorderPointCrossed, 0, 0);
    }
}

/// <summary>Captures the patient charge; charges prices it from the item's charge master.</summary>
public sealed class CaptureCharge(ChargeService.ChargeServiceClient charges, CasePatients patients, CaseMetrics metrics) : WorkflowActivity<ConsumptionCase, ChargeTaken>
{
    /// <inheritdoc />
    public override async Task<ChargeTaken> RunAsync(WorkflowActivityContext context, ConsumptionCase input)
    {
        metrics.Progressed(input.EventId, nameof(CaptureCharge));
        var patient = await patients.GetAsync(input.PatientRef, CancellationToken.None);
        try
        {
            var charge = await charges.CreateChargeAsync(new CreateChargeRequest
            {
                RequestId = CaseMessages.RequestId(input, CaseMessages.Charge),
                Charge = new PatientCharge
                {
                    Patient = CasePatients.Reference(patient),
                    Item = input.Item,
                    Quantity = Quantity.Of(input.Quantity, input.Unit),
                    ServiceTime = Timestamp.FromDateTimeOffset(input.OccurTime),
                    PerformingLocation = input.Location,
                    CostCenter = input.CostCenter,
                    ClinicalOrderId = patient.ClinicalOrderId,
                    SourceEventId = input.EventId,
                },
            });
            return new ChargeTaken(true, "", "", charge.Name, charge.ChargeCode, charge.TotalAmount.ToDecimal(), charge.TotalAmount.CurrencyCode);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.InvalidArgument)
        {
            return new ChargeTaken(false, "charge_refused", e.Status.Detail, "", "", 0, "");
        }
    }
}

/// <summary>
/// Asks finance to post the cost of the consumed supplies for the cost center; finance owns the GL accounts, the
/// rounding to cents and the CostPosted event.
/// </summary>
public sealed class PostCost(JournalEntryService.JournalEntryServiceClient journal, CaseMetrics metrics) : WorkflowActivity<CostToPost, CostPosting>
{
    /// <inheritdoc />
    public override async Task<CostPosting> RunAsync(WorkflowActivityContext context, CostToPost input)
    {
        metrics.Progressed(input.Case.EventId, CaseMetrics.PostingStep);
        var (consumption, check) = (input.Case, input.Check);
        try
        {
            var posted = await journal.PostSuppliesCostAsync(new PostSuppliesCostRequest
            {
                CostCenter = check.CostCenter,
                Item = consumption.Item,
                Location = consumption.Location,
                Quantity = Quantity.Of(consumption.Quantity, consumption.Unit),
                UnitCost = Money.Of(check.Currency, check.UnitCost),
                ConsumeTime = Timestamp.FromDateTimeOffset(consumption.OccurTime),
                SourceDocument = consumption.EventId,
                RequestId = CaseMessages.RequestId(consumption, CaseMessages.Cost),
            });
            // A replay gets the entry the first attempt created: report what was booked, not today's cost.
            var booked = posted.Lines.First(l => l.AmountCase == JournalLine.AmountOneofCase.Debit);
            return new CostPosting(true, "", "", posted.Name, posted.ErpDocumentNumber, booked.Debit.ToDecimal(), booked.Debit.CurrencyCode, booked.GlAccount);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.InvalidArgument)
        {
            var reason = e.StatusCode == StatusCode.FailedPrecondition ? "erp_rejected" : "cost_refused";
            return new CostPosting(false, reason, e.Status.Detail, "", "", 0, check.Currency, "");
        }
    }
}

/// <summary>Compensation: voids the charge.</summary>
public sealed class VoidCharge(ChargeService.ChargeServiceClient charges, CaseMetrics metrics) : WorkflowActivity<Compensation, bool>
{
    /// <inheritdoc />
    public override async Task<bool> RunAsync(WorkflowActivityContext context, Compensation input)
    {
        metrics.Progressed(input.Case.EventId, nameof(VoidCharge));
        var voided = await charges.VoidChargeAsync(new VoidChargeRequest
        {
            Name = input.Charge,
            Reason = $"inventory-to-charge compensation: {input.Reason}",
            RequestId = $"{input.Case.EventId}.void",
        });
        return voided.State == ChargeState.Voided;
    }
}

/// <summary>Compensation: puts the consumed stock back with a reversal of the consumption movement.</summary>
public sealed class RestoreStock(InventoryService.InventoryServiceClient inventory, CaseMetrics metrics) : WorkflowActivity<Compensation, bool>
{
    /// <inheritdoc />
    public override async Task<bool> RunAsync(WorkflowActivityContext context, Compensation input)
    {
        metrics.Progressed(input.Case.EventId, nameof(RestoreStock));
        var restore = CaseMessages.Movement(input.Case, StockMovementType.Reversal, input.Case.Quantity, "restore");
        restore.StockMovement.Reverses = input.Movement;
        return (await inventory.CreateStockMovementAsync(restore)).Name.Length > 0;
    }
}

/// <summary>
/// For a replay that must be undone: asks each service what the case's earlier attempts left behind, by the request
/// ids every attempt used, because a step that never answered may still have landed.
/// </summary>
public sealed class FindEffects(
    InventoryService.InventoryServiceClient inventory, ChargeService.ChargeServiceClient charges, JournalEntryService.JournalEntryServiceClient journal)
    : WorkflowActivity<ConsumptionCase, CaseEffects>
{
    /// <inheritdoc />
    public override async Task<CaseEffects> RunAsync(WorkflowActivityContext context, ConsumptionCase input)
    {
        var movements = inventory.ListStockMovementsAsync(new ListStockMovementsRequest { Parent = input.Location, RequestId = CaseMessages.RequestId(input, CaseMessages.Consume) }).ResponseAsync;
        var captured = charges.ListChargesAsync(new ListChargesRequest { RequestId = CaseMessages.RequestId(input, CaseMessages.Charge) }).ResponseAsync;
        var entries = journal.ListJournalEntriesAsync(new ListJournalEntriesRequest { RequestId = CaseMessages.RequestId(input, CaseMessages.Cost) }).ResponseAsync;
        var movement = (await movements).StockMovements.SingleOrDefault();
        var charge = (await captured).Charges.SingleOrDefault(c => c.State != ChargeState.Voided);
        // A FAILED entry was refused by the ERP, so nothing landed there; a DRAFT one may have (its reply lost).
        var entry = (await entries).JournalEntries.SingleOrDefault(e => e.State is JournalEntryState.Draft or JournalEntryState.Posted);
        return new CaseEffects(movement?.Name ?? "", charge?.Name ?? "", entry?.Name ?? "");
    }
}

/// <summary>
/// Compensation: reverses the cost posting. A DRAFT entry is posted first (the ERP books it once under its
/// idempotency key, so an entry whose reply was lost is found, not doubled), because only a posted entry can be
/// reversed and the ERP may hold it.
/// </summary>
public sealed class ReverseCost(JournalEntryService.JournalEntryServiceClient journal) : WorkflowActivity<Compensation, bool>
{
    /// <inheritdoc />
    public override async Task<bool> RunAsync(WorkflowActivityContext context, Compensation input)
    {
        var entry = await journal.GetJournalEntryAsync(new GetJournalEntryRequest { Name = input.JournalEntry });
        if (entry.State == JournalEntryState.Draft)
        {
            await journal.PostJournalEntryAsync(new PostJournalEntryRequest { Name = input.JournalEntry });
        }

        // Reversing a reversed entry answers its reversal, so a retry of this step changes nothing.
        var reversal = await journal.ReverseJournalEntryAsync(new ReverseJournalEntryRequest
        {
            Name = input.JournalEntry,
            Reason = $"inventory-to-charge compensation: {input.Reason}",
            RequestId = $"{input.Case.EventId}.reverse",
        });
        return reversal.State == JournalEntryState.Posted;
    }
}
