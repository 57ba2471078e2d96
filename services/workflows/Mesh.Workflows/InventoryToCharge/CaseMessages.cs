using Mesh.Resources;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Type.V1;

namespace Mesh.Workflows.InventoryToCharge;

/// <summary>The canonical messages a case produces, with event ids derived from the case's event id.</summary>
public static class CaseMessages
{
    /// <summary>The source of every event the saga publishes.</summary>
    public const string Source = "mesh/workflows/inventory-to-charge";

    /// <summary>A stock movement of the case at its location, keyed by the event id and <paramref name="step"/>.</summary>
    public static CreateStockMovementRequest Movement(ConsumptionCase input, StockMovementType type, decimal delta, string step) => new()
    {
        Parent = input.Location,
        RequestId = $"{input.EventId}.{step}",
        StockMovement = new StockMovement
        {
            Type = type,
            Item = input.Item,
            Location = input.Location,
            Delta = Quantity.Of(delta, input.Unit),
            SourceDocument = input.EventId,
            OccurTime = Timestamp.FromDateTimeOffset(input.OccurTime),
        },
    };

    /// <summary>
    /// The events a concluded case publishes: what happened, once per case, whatever the retries; the charge events
    /// carry the case's <paramref name="patient"/>, as their contracts say.
    /// </summary>
    public static IEnumerable<IMessage> EventsOf(CaseConclusion conclusion, PatientLink patient)
    {
        var (input, outcome) = (conclusion.Case, conclusion.Outcome);
        var quantity = Quantity.Of(input.Quantity, input.Unit);
        // A charge is announced when its case completes, and voided when its case is compensated; a parked case
        // announces nothing until its replay completes (with the same event ids).
        if (conclusion.Charge is { Ok: true } charge && (outcome.Compensated || outcome.Status == CaseOutcome.Completed))
        {
            var amount = Money.Of(charge.Currency, charge.Amount);
            yield return outcome.Compensated
                ? new ChargeVoided
                {
                    Context = Context(input, "charge-voided", outcome.FinishTime),
                    Charge = charge.Charge, Patient = CasePatients.Reference(patient), Item = input.Item, ChargeCode = charge.ChargeCode, Quantity = quantity, Amount = amount,
                    Reason = outcome.Reason,
                }
                : new ChargeCaptured
                {
                    Context = Context(input, "charge-captured", outcome.FinishTime),
                    Charge = charge.Charge, Patient = CasePatients.Reference(patient), Item = input.Item, ChargeCode = charge.ChargeCode, Quantity = quantity, Amount = amount,
                };
        }

        if (outcome.Status == CaseOutcome.Completed && conclusion.Posting is { Ok: true } posting)
        {
            yield return new CostPosted
            {
                Context = Context(input, "cost-posted", outcome.FinishTime),
                JournalEntry = posting.JournalEntry, ErpDocumentNumber = posting.ErpDocument, CostCenter = input.CostCenter, GlAccount = posting.GlAccount,
                Amount = Money.Of(posting.Currency, posting.Amount), SourceDocument = input.EventId, LineNumber = 1,
            };
        }

        if (outcome.Status == CaseOutcome.Completed && conclusion.Stock is { ReorderPointCrossed: true } stock)
        {
            yield return new ReorderPointReached
            {
                Context = Context(input, "reorder-point-reached", outcome.FinishTime),
                Balance = stock.Balance, Item = input.Item, Location = input.Location,
                OnHand = Quantity.Of(stock.OnHandAfter, input.Unit),
                ReorderPoint = Quantity.Of(stock.ReorderPoint, input.Unit),
                SuggestedQuantity = Quantity.Of(Math.Max(0, stock.ParLevel - stock.OnHandAfter), input.Unit),
            };
        }
    }

    private static EventContext Context(ConsumptionCase input, string what, DateTimeOffset at) =>
        ContractEvents.ContextOf(Source, $"{input.EventId}.{what}", at, causationId: input.EventId, correlationId: input.CorrelationId.Length > 0 ? input.CorrelationId : input.EventId);
}
