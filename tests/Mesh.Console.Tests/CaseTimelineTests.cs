using System.Text.RegularExpressions;
using Mesh.Contracts.Workflows.V1;
using Mesh.Scenarios;
using Microsoft.Playwright;

namespace Mesh.Console.Tests;

/// <summary>The case page's timeline in a real browser: a saga's steps in order, with its compensations marked.</summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class CaseTimelineTests(ConsoleMesh mesh) : IAsyncLifetime
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    public Task InitializeAsync() => mesh.SetErpAsync("Normal");

    public Task DisposeAsync() => mesh.SetErpAsync("Normal");

    [Fact]
    public async Task CasePage_PostingRefused_ShowsTheSagaStepsInOrderWithTheCompensationMarked()
    {
        var spec = new ScenarioSpec(Events: 1, Locations: 1, DuplicateShare: 0);
        var catalog = await mesh.Scenario.SeedAsync(spec, CancellationToken.None);
        var consumed = InventoryToChargeScenario.Consumptions(catalog, spec).Single();
        var eventId = consumed.Context.EventId;
        await mesh.SetErpAsync("Reject");
        await mesh.Scenario.SendAsync([consumed], spec, 1, CancellationToken.None);
        await mesh.Scenario.WaitForCaseAsync(eventId, c => c.State == CaseState.Exception, Settle, CancellationToken.None);

        var page = await mesh.SignInAsync("di.ops", "operator");
        await page.GotoAsync($"/flows/inventory-to-charge/cases/{eventId}");

        // The saga ends a moment after it concluded the case; the page follows it live.
        await Assertions.Expect(page.Locator("#saga-status")).ToHaveTextAsync("COMPLETED", new() { Timeout = (float)Settle.TotalMilliseconds });
        var restored = page.Locator("#timeline tr[data-step='RestoreStock']");
        await Assertions.Expect(restored).ToHaveClassAsync(Compensation());
        await Assertions.Expect(restored).ToContainTextAsync("compensation");
        await Assertions.Expect(page.Locator("#timeline tr[data-step='PostCost']")).ToHaveAttributeAsync("data-outcome", "completed");
        var steps = await page.Locator("#timeline tr[data-step]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.step)");
        string[] expected = ["InventoryToChargeWorkflow", "CheckCase", "TakeStock", "PostCost", "RestoreStock", "ConcludeCase"];
        Assert.Equal(expected, steps.Where(expected.Contains));
        Assert.Equal(steps.Length, steps.Distinct().Count());
    }

    [GeneratedRegex(@"\bcompensation\b")]
    private static partial Regex Compensation();
}
