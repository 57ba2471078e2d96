using System.Globalization;
using System.Text;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Workflows.V1;

namespace Mesh.Scenarios;

/// <summary>
/// What each system holds for a run's events, set against the cases: every count a finance controller would
/// tick off, the duplicates (which must be zero), and the consumption-to-posting latency.
/// </summary>
public sealed record ReconciliationReport(
    int EventsIn,
    int DuplicatesSent,
    int CasesSettled,
    int Completed,
    IReadOnlyDictionary<string, int> ExceptionsByReason,
    int StockMovements,
    int StockReversals,
    int ExpectedNetMovements,
    int ChargesCaptured,
    int ChargesVoided,
    int ExpectedCharges,
    int ErpPostings,
    int ExpectedPostings,
    int DuplicateMovements,
    int DuplicateCharges,
    int DuplicatePostings,
    int BalancesChecked,
    int BalancesOff,
    int ReorderPointsReached,
    double LatencyP50Ms,
    double LatencyP95Ms,
    IReadOnlyDictionary<string, double> StepShares)
{
    /// <summary>The duplicates across every system.</summary>
    public int Duplicates => DuplicateMovements + DuplicateCharges + DuplicatePostings;

    /// <summary>True when every event settled, nothing is doubled, and every count matches the cases.</summary>
    public bool Balances =>
        CasesSettled == EventsIn && Duplicates == 0 && BalancesOff == 0
        && StockMovements - StockReversals == ExpectedNetMovements
        && ChargesCaptured == ExpectedCharges && ErpPostings == ExpectedPostings;

    /// <summary>Sets what the systems hold against the cases.</summary>
    public static ReconciliationReport Build(
        SeededCatalog catalog,
        IReadOnlyList<ItemConsumed> events,
        int duplicatesSent,
        IReadOnlyList<Case> cases,
        IReadOnlyList<StockMovement> movements,
        IReadOnlyList<PatientCharge> charges,
        IReadOnlyList<ErpPosting> postings,
        IReadOnlyDictionary<string, decimal> balances)
    {
        var byId = events.ToDictionary(e => e.Context.EventId, StringComparer.Ordinal);
        var chargeable = catalog.Items.Where(i => i.Chargeable).Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var completed = cases.Where(c => c.State == CaseState.Completed).ToList();
        // Stock stays taken for completed cases and for cases parked before anything was undone.
        var holdingStock = cases.Where(c => c.InventoryToCharge.StockMovement.Length > 0 && !c.Compensated).ToList();
        var consumptions = movements.Where(m => m.Type == StockMovementType.Consumption).ToList();

        var expectedStock = new Dictionary<string, decimal>(catalog.StartingStock, StringComparer.Ordinal);
        foreach (var held in holdingStock)
        {
            var consumed = byId[InventoryToChargeScenario.EventIdOf(held)];
            expectedStock[InventoryToChargeScenario.BalanceName(consumed.Location, consumed.Item)] -= consumed.Quantity.ToDecimal();
        }

        var latencies = completed.Select(c => (c.InventoryToCharge.PostTime.ToDateTimeOffset() - c.InventoryToCharge.OccurTime.ToDateTimeOffset()).TotalMilliseconds).Order().ToList();
        var stepTotals = cases.SelectMany(c => c.Steps).GroupBy(s => s.Step).ToDictionary(g => g.Key, g => g.Sum(s => s.Duration.ToTimeSpan().TotalMilliseconds));
        var allSteps = stepTotals.Values.Sum();
        return new ReconciliationReport(
            events.Count,
            duplicatesSent,
            cases.Count,
            completed.Count,
            cases.Where(c => c.State != CaseState.Completed).GroupBy(c => c.Reason).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            consumptions.Count,
            movements.Count(m => m.Type == StockMovementType.Reversal),
            holdingStock.Count,
            charges.Count(c => c.State == ChargeState.Captured),
            charges.Count(c => c.State == ChargeState.Voided),
            completed.Count(c => chargeable.Contains(byId[InventoryToChargeScenario.EventIdOf(c)].Item)),
            postings.Count,
            completed.Count,
            consumptions.Count - consumptions.Select(m => m.SourceDocument).Distinct().Count(),
            charges.Count - charges.Select(c => c.SourceEventId).Distinct().Count(),
            postings.Count - postings.Select(p => p.Reference).Distinct().Count(),
            balances.Count,
            balances.Count(b => expectedStock[b.Key] != b.Value),
            completed.Count(c => c.InventoryToCharge.ReorderPointReached),
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.95),
            stepTotals.ToDictionary(s => s.Key, s => allSteps == 0 ? 0 : s.Value / allSteps));
    }

    /// <summary>The report as an operator reads it.</summary>
    public string Format()
    {
        var text = new StringBuilder();
        void Line(string label, object value, string note = "") =>
            text.AppendLine(CultureInfo.InvariantCulture, $"  {label,-34}{value,10}  {note}");

        text.AppendLine("Inventory-to-charge reconciliation");
        Line("events in", EventsIn, $"(+{DuplicatesSent} sent twice)");
        Line("cases settled", CasesSettled, CasesSettled == EventsIn ? "" : $"({EventsIn - CasesSettled} NOT settled)");
        Line("  completed", Completed);
        foreach (var (reason, count) in ExceptionsByReason)
        {
            Line($"  exception: {reason}", count);
        }

        Line("stock movements (consumption)", StockMovements, $"expected net {ExpectedNetMovements} after {StockReversals} reversals");
        Line("charges captured", ChargesCaptured, $"expected {ExpectedCharges}; {ChargesVoided} voided");
        Line("ERP postings", ErpPostings, $"expected {ExpectedPostings}");
        Line("balances reconciled", $"{BalancesChecked - BalancesOff}/{BalancesChecked}");
        Line("reorder points reached", ReorderPointsReached);
        Line("duplicates", Duplicates, Duplicates == 0 ? "(must be 0)" : $"movements {DuplicateMovements}, charges {DuplicateCharges}, postings {DuplicatePostings}");
        Line("consumption-to-posting p50", $"{LatencyP50Ms:0} ms");
        Line("consumption-to-posting p95", $"{LatencyP95Ms:0} ms");
        text.AppendLine("  share of saga time per step:");
        foreach (var (step, share) in StepShares.OrderByDescending(s => s.Value))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"    {step,-12}{share,8:P1}");
        }

        text.AppendLine(Balances ? "RECONCILED: every event is accounted for once in every system." : "NOT RECONCILED: see the counts above.");
        return text.ToString();
    }

    /// <summary>The <paramref name="p"/> percentile (0 to 1) of <paramref name="sorted"/> by the nearest-rank method; 0 for none.</summary>
    public static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
