using System.Globalization;
using Mesh.Scenarios;
using Microsoft.Playwright;

namespace Mesh.Console.Tests;

/// <summary>The flows page after a demo run, on a mesh of its own so the flow holds that run's cases only.</summary>
public sealed class FlowsPageTests(ConsoleMesh mesh) : IClassFixture<ConsoleMesh>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task FlowsPage_AfterADemoRun_ShowsTheKpisOfItsReconciliationReportAndItsSloFromSloYaml()
    {
        var spec = new ScenarioSpec(Events: 30, Locations: 2, DuplicateShare: 0.1, UnknownItemShare: 0.15, Seed: 11);
        var catalog = await mesh.Scenario.SeedAsync(spec, CancellationToken.None);
        var events = InventoryToChargeScenario.Consumptions(catalog, spec);
        var duplicates = await mesh.Scenario.SendAsync(events, spec, parallelism: 8, CancellationToken.None);
        var cases = await mesh.Scenario.AwaitSettledAsync([.. events.Select(e => e.Context.EventId)], Settle, null, CancellationToken.None);
        var report = await mesh.Scenario.ReconcileAsync(catalog, events, duplicates, cases, CancellationToken.None);

        var page = await mesh.SignInAsync("dee.ops", "operator");
        await page.GotoAsync("/");

        Assert.Equal(30, report.CasesSettled);
        Assert.True(report.Completed > 0 && report.ExceptionsByReason.Count > 0, report.Format());
        await Assertions.Expect(page.Locator("#kpi-inventory-to-charge-completed")).ToHaveTextAsync(Text(report.Completed));
        await Assertions.Expect(page.Locator("#kpi-inventory-to-charge-queue")).ToHaveTextAsync(Text(report.ExceptionsByReason.Values.Sum()));
        foreach (var (reason, count) in report.ExceptionsByReason)
        {
            await Assertions.Expect(page.Locator($"#kpi-inventory-to-charge-exception-{reason}")).ToHaveTextAsync(Text(count));
        }

        await Assertions.Expect(page.Locator("#kpi-inventory-to-charge-dead-letters")).ToHaveTextAsync(Text(report.ExceptionsByReason.GetValueOrDefault("dead_lettered")));
        await Assertions.Expect(page.Locator("#kpi-inventory-to-charge-p50")).ToHaveTextAsync($"{Text(report.LatencyP50Ms)} ms");
        await Assertions.Expect(page.Locator("#kpi-inventory-to-charge-p95")).ToHaveTextAsync($"{Text(report.LatencyP95Ms)} ms");
        // observability/slo.yaml: 95% of the concluded cases posted within 5 minutes; exceptions spend the budget.
        var good = cases.Count(c => c.State == Mesh.Contracts.Workflows.V1.CaseState.Completed
            && c.InventoryToCharge.PostTime.ToDateTimeOffset() - c.InventoryToCharge.OccurTime.ToDateTimeOffset() <= TimeSpan.FromMinutes(5));
        var errors = (30.0 - good) / 30;
        Assert.True(good < 30, "the run has exceptions, so the SLO spends budget");
        await Assertions.Expect(page.Locator("#slo-inventory-to-charge-sli")).ToHaveTextAsync($"{((double)good / 30).ToString("P1", CultureInfo.InvariantCulture)} ({good} of 30)");
        await Assertions.Expect(page.Locator("#slo-inventory-to-charge-budget")).ToHaveTextAsync((1 - (errors / 0.05)).ToString("P1", CultureInfo.InvariantCulture));
        await Assertions.Expect(page.Locator("#slo-inventory-to-charge-burn-1h")).ToHaveTextAsync($"{(errors / 0.05).ToString("0.0", CultureInfo.InvariantCulture)}x");
        await Assertions.Expect(page.Locator("#slo-inventory-to-charge-burn-6h")).ToHaveTextAsync($"{(errors / 0.05).ToString("0.0", CultureInfo.InvariantCulture)}x");
        await Assertions.Expect(page.Locator("#slo-inventory-to-charge-status")).ToHaveTextAsync(errors <= 0.05 ? "met" : "missed");
        // One bar per interval, the bars adding up to every case of the run.
        var bars = await page.Locator("#chart-inventory-to-charge rect.throughput title").AllTextContentsAsync();
        Assert.Equal(30, bars.Sum(b => int.Parse(b.Split(": ")[1].Split(' ')[0], CultureInfo.InvariantCulture)));
        // The README's screenshot (docs/console-flows.png) is this page.
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "console-flows.png"), FullPage = true });
    }

    private static string Text(double value) => value.ToString("0", CultureInfo.InvariantCulture);
}
