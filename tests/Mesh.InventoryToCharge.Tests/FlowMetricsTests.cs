using Mesh.Scenarios;
using Mesh.Testing;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>The mesh of <see cref="InventoryToChargeMesh"/> with a clinical system of its own, so its publishes count alone.</summary>
public sealed class ObservedMesh() : InventoryToChargeMesh(ClinicAppId)
{
    /// <summary>The app id of the clinical system's sidecar.</summary>
    public const string ClinicAppId = "clinic-observed";
}

/// <summary>
/// After a demo run, what Prometheus would scrape — the workflows app's <c>/metrics</c> (a real process) and the
/// runtime's — holds the flow's KPIs with the values of the reconciliation report.
/// </summary>
public sealed class FlowMetricsTests(ObservedMesh mesh) : IClassFixture<ObservedMesh>
{
    private const string Topic = "inventory.item.consumed";

    [Fact]
    public async Task DemoRun_ScrapedKpis_EqualTheReconciliationReport()
    {
        var spec = new ScenarioSpec(Events: 30, Locations: 2, DuplicateShare: 0.1, UnknownItemShare: 0.1);
        var catalog = await mesh.Scenario.SeedAsync(spec, CancellationToken.None);
        var events = InventoryToChargeScenario.Consumptions(catalog, spec);
        // Counters and gauges are read as what changed during the run (another test of this class may run first).
        var (appBefore, runtimeBefore) = (await PrometheusScrape.ReadAsync(AppMetrics, http2Only: true), await PrometheusScrape.ReadAsync(RuntimeMetrics));

        var (report, _) = await mesh.RunAsync(catalog, events, spec, TimeSpan.FromSeconds(120));
        // A case's outcome is readable a moment before its conclusion is counted.
        var app = (await ScrapeUntilAsync(AppMetrics, true, s => s.Sum("mesh_inventory_to_charge_cases_total") - appBefore.Sum("mesh_inventory_to_charge_cases_total") >= report.CasesSettled))
            .Minus(appBefore);

        Assert.True(report.Balances, report.Format());
        Assert.True(report.ExceptionsByReason.Count > 0 && report.DuplicatesSent > 0, report.Format());
        Assert.Equal(report.EventsIn, app.Sum("mesh_inventory_to_charge_cases_started_total"));
        Assert.Equal(report.Completed, app.Sum("mesh_inventory_to_charge_cases_total", ("status", "completed")));
        foreach (var (reason, count) in report.ExceptionsByReason)
        {
            Assert.Equal(count, app.Sum("mesh_inventory_to_charge_cases_total", ("status", "exception"), ("reason", reason)));
            Assert.Equal(count, app.Sum("mesh_inventory_to_charge_exception_queue_depth", ("reason", reason)));
        }

        Assert.Equal(report.ExceptionsByReason.Values.Sum(), app.Sum("mesh_inventory_to_charge_exception_queue_depth"));
        Assert.Equal(report.ErpPostings, app.Sum("mesh_inventory_to_charge_consumption_to_posting_seconds_count"));
        // The report's p95 lies in the bucket where the histogram puts its 95th percentile.
        var (lower, upper) = Percentile95Bucket(app.Matching("mesh_inventory_to_charge_consumption_to_posting_seconds_bucket").ToList());
        Assert.InRange(report.LatencyP95Ms / 1000, lower, upper);
        Assert.Equal(0, app.Sum("mesh_inventory_to_charge_cases_in_flight"));
        Assert.Equal(0, app.Sum("mesh_inventory_to_charge_cases_stalled"));
        Assert.Equal(0, app.Sum("mesh_inventory_to_charge_erp_backlog"));

        // The runtime counts as daprd does: every publish of the clinic, each delivery to the workflows app, its state
        // operations and its calls to finance (other tests of this process run workflows apps too, hence "at least").
        var runtime = (await PrometheusScrape.ReadAsync(RuntimeMetrics)).Minus(runtimeBefore);
        Assert.Equal(report.EventsIn + report.DuplicatesSent, runtime.Sum(
            "dapr_component_pubsub_egress_count", ("app_id", ObservedMesh.ClinicAppId), ("component", "pubsub"), ("topic", Topic), ("success", "true")));
        Assert.True(runtime.Sum("dapr_component_pubsub_ingress_count", ("app_id", "workflows"), ("topic", Topic), ("status", "success")) >= report.EventsIn + report.DuplicatesSent);
        Assert.True(runtime.Sum("dapr_component_pubsub_egress_latencies_count", ("app_id", ObservedMesh.ClinicAppId), ("topic", Topic)) >= report.EventsIn);
        Assert.True(runtime.Sum("dapr_component_state_count", ("app_id", "workflows"), ("component", "statestore"), ("success", "true")) > 0);
        Assert.True(runtime.Sum("dapr_runtime_service_invocation_req_sent_total", ("app_id", "workflows"), ("destination_app_id", "finance")) >= report.ErpPostings);
    }

    [Fact]
    public async Task AlertRulesAndDashboard_EveryExpressionButProcureToPays_NamesAMetricTheMeshExports()
    {
        // Every KPI appears once a run had a completed case and an exception.
        var spec = new ScenarioSpec(Events: 4, Locations: 1, DuplicateShare: 0);
        var catalog = await mesh.Scenario.SeedAsync(spec, CancellationToken.None);
        var events = InventoryToChargeScenario.Consumptions(catalog, spec);
        events[0].Item = $"items/{catalog.RunId}-unknown";
        await mesh.RunAsync(catalog, events, spec, TimeSpan.FromSeconds(120));
        var app = await ScrapeUntilAsync(AppMetrics, true, s => s.Matching("mesh_inventory_to_charge_exception_queue_depth").Any());
        var runtime = await PrometheusScrape.ReadAsync(RuntimeMetrics);
        var exported = app.Samples.Concat(runtime.Samples).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

        // The procure-to-pay flow's metrics are checked against its own app (ProcureToPay.Tests).
        var unknown = ObservabilityFiles.UnknownMetrics(exported, name => !name.StartsWith("mesh_procure_to_pay_", StringComparison.Ordinal));
        Assert.True(unknown.Count == 0, "expressions name metrics nothing exports:\n" + string.Join('\n', unknown));
        // The SLO's good events are the latency bucket at its threshold, which the histogram must have.
        Assert.Contains(app.Matching("mesh_inventory_to_charge_consumption_to_posting_seconds_bucket"), b => b.Labels["le"] == ObservabilityFiles.SloThresholdBucket("inventory-to-charge"));
    }

    private string AppMetrics => $"http://127.0.0.1:{mesh.Workflows.Port}/metrics";

    private string RuntimeMetrics => $"http://127.0.0.1:{mesh.Telemetry!.MetricsPort}/metrics";

    private static async Task<PrometheusScrape> ScrapeUntilAsync(string endpoint, bool http2Only, Func<PrometheusScrape, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var scrape = await PrometheusScrape.ReadAsync(endpoint, http2Only);
            if (done(scrape) || DateTime.UtcNow > deadline)
            {
                return scrape;
            }

            await Task.Delay(100);
        }
    }

    private static (double Lower, double Upper) Percentile95Bucket(List<PrometheusSample> buckets)
    {
        var ordered = buckets.Select(b => (Le: b.Labels["le"] == "+Inf" ? double.PositiveInfinity : double.Parse(b.Labels["le"], System.Globalization.CultureInfo.InvariantCulture), Count: b.Value))
            .OrderBy(b => b.Le).ToList();
        var rank = Math.Ceiling(0.95 * ordered[^1].Count);
        var at = ordered.FindIndex(b => b.Count >= rank);
        return (at == 0 ? 0 : ordered[at - 1].Le, ordered[at].Le);
    }
}
