using System.Text.RegularExpressions;
using Mesh.Contracts.Workflows.V1;
using Mesh.Scenarios;
using Microsoft.Playwright;

namespace Mesh.Console.Tests;

/// <summary>
/// Operators in a real browser: the exception queue, a parked case, its timeline and replay, and patient data by scope.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class ExceptionQueueTests(ConsoleMesh mesh) : IAsyncLifetime
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);
    private static readonly LocatorAssertionsToHaveTextOptions Eventually = new() { Timeout = (float)Settle.TotalMilliseconds };

    public Task InitializeAsync() => mesh.SetErpAsync("Normal");

    public Task DisposeAsync() => mesh.SetErpAsync("Normal");

    [Fact]
    public async Task ParkedCase_ReplayedFromTheConsole_CompletesAndIsAudited()
    {
        var eventId = (await mesh.ConcludeOneAsync("Down", CaseState.Exception)).Context.EventId;

        var page = await mesh.SignInAsync("ana.ops", "operator", "workflows.operate");
        await page.GotoAsync("/flows/inventory-to-charge/exceptions?reason=erp_unavailable");
        var row = page.Locator($"tr[data-case='{eventId}']");
        await Assertions.Expect(row).ToContainTextAsync("erp_unavailable");
        await row.GetByRole(AriaRole.Link, new() { Name = eventId }).ClickAsync();
        await Assertions.Expect(page.Locator("#case-state")).ToHaveTextAsync("EXCEPTION");
        // The timeline shows why: the posting tried twice, its first attempt retried, its second failing for good.
        var firstPosting = page.Locator("#timeline tr[data-step='PostCost'][data-attempt='1']");
        await Assertions.Expect(firstPosting).ToHaveAttributeAsync("data-outcome", "retried", new() { Timeout = (float)Settle.TotalMilliseconds });
        await Assertions.Expect(firstPosting).ToHaveClassAsync("retried");
        await Assertions.Expect(page.Locator("#timeline tr[data-step='PostCost'][data-attempt='2']")).ToHaveAttributeAsync("data-outcome", "failed");
        await page.Locator("#replay").ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading)).ToHaveTextAsync($"Confirm: replay {eventId}");
        await page.Locator("#confirm").ClickAsync();

        // The page updates itself while the replay runs.
        await Assertions.Expect(page.Locator("#case-state")).ToHaveTextAsync("COMPLETED", Eventually);
        await Assertions.Expect(page.Locator("#steps")).ToContainTextAsync("finance");
        // The timeline keeps the first run, whose posting gave up, and shows the replay's run after it, its posting done.
        await Assertions.Expect(page.Locator("#timeline tr.run[data-run='2']")).ToHaveTextAsync("replay 1: saga COMPLETED", Eventually);
        await Assertions.Expect(page.Locator("#timeline tr.run[data-run='1']")).ToHaveTextAsync("first run: saga COMPLETED");
        await Assertions.Expect(page.Locator("#timeline tr[data-run='1'][data-step='PostCost'][data-attempt='2']")).ToHaveAttributeAsync("data-outcome", "failed");
        await Assertions.Expect(page.Locator("#timeline tr[data-run='2'][data-step='PostCost']")).ToHaveAttributeAsync("data-outcome", "completed");
        var audit = (await mesh.PublishedAsync("console.audit")).Select(e => e["data"]!).ToList();
        var entry = Assert.Single(audit, e => (string?)e["case"] == InventoryToChargeScenario.CaseName(eventId));
        Assert.Equal(("ana.ops", "replay", "OK"), ((string?)entry["operator"], (string?)entry["action"], (string?)entry["outcome"]));
        // The workflows app audits the operator its token names: the console passed the signed-in operator's token.
        var performed = (await mesh.PublishedAsync("workflows.audit")).Select(e => e["data"]!).ToList();
        var action = Assert.Single(performed, e => (string?)e["case"] == InventoryToChargeScenario.CaseName(eventId));
        Assert.Equal(("ana.ops", "replay", "OK"), ((string?)action["subject"], (string?)action["action"], (string?)action["outcome"]));
    }

    [Fact]
    public async Task CasePage_PatientHiddenUntilRevealed_RevealNeedsPhiReadAndIsAudited()
    {
        var consumed = await mesh.ConcludeOneAsync("Normal", CaseState.Completed);
        var eventId = consumed.Context.EventId;

        var withoutPhi = await mesh.SignInAsync("bo.ops", "operator");
        await withoutPhi.GotoAsync($"/flows/inventory-to-charge/cases/{eventId}");
        await Assertions.Expect(withoutPhi.Locator("#case-state")).ToHaveTextAsync("COMPLETED");
        await Assertions.Expect(withoutPhi.Locator("#subject")).ToContainTextAsync("withheld (PHI)");
        await Assertions.Expect(withoutPhi.Locator("#reveal")).ToHaveCountAsync(0);
        var withheldPage = await withoutPhi.ContentAsync();

        // With phi.read the patient is still hidden until the operator reveals it, which the audit trail records.
        var withPhi = await mesh.SignInAsync("cy.ops", "operator", "phi.read");
        await withPhi.GotoAsync($"/flows/inventory-to-charge/cases/{eventId}");
        await Assertions.Expect(withPhi.Locator("#subject")).ToContainTextAsync("hidden (PHI)");
        var hiddenPage = await withPhi.ContentAsync();
        await withPhi.Locator("#reveal").ClickAsync();
        await Assertions.Expect(withPhi.Locator("#revealed")).ToContainTextAsync("cy.ops");
        await Assertions.Expect(withPhi.Locator("#subject")).ToContainTextAsync(consumed.Patient.Mrn);

        foreach (var page in new[] { withheldPage, hiddenPage })
        {
            Assert.DoesNotContain(consumed.Patient.Mrn, page, StringComparison.Ordinal);
            Assert.DoesNotContain(consumed.Patient.EncounterId, page, StringComparison.Ordinal);
            Assert.DoesNotContain(consumed.ClinicalOrderId, page, StringComparison.Ordinal);
            Assert.Matches(Item(), page);
        }

        var audit = (await mesh.PublishedAsync("console.audit")).Select(e => e["data"]!).ToList();
        var entry = Assert.Single(audit, e => (string?)e["case"] == InventoryToChargeScenario.CaseName(eventId));
        Assert.Equal(("cy.ops", "reveal", "OK"), ((string?)entry["operator"], (string?)entry["action"], (string?)entry["outcome"]));
    }

    [Fact]
    public async Task CasePage_PostingRefused_ShowsTheSagaStepsInOrderWithTheCompensationMarked()
    {
        var eventId = (await mesh.ConcludeOneAsync("Reject", CaseState.Exception)).Context.EventId;

        var page = await mesh.SignInAsync("di.ops", "operator");
        await page.GotoAsync($"/flows/inventory-to-charge/cases/{eventId}");

        // The saga ends a moment after it concluded the case; the page follows it live.
        await Assertions.Expect(page.Locator("#saga-status")).ToHaveTextAsync("COMPLETED", Eventually);
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

    // The internal fields stay visible to every operator.
    [GeneratedRegex(@"<th>item</th>\s*<td>items/")]
    private static partial Regex Item();
}
