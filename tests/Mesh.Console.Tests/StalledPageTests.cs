using Mesh.Contracts.Procurement.V1;
using Mesh.Scenarios;
using Microsoft.Playwright;

namespace Mesh.Console.Tests;

/// <summary>The stalled workflows and dead letters page, in a real browser.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class StalledPageTests(ConsoleMesh mesh)
{
    private static readonly LocatorAssertionsToContainTextOptions Eventually = new() { Timeout = 60_000 };

    [Fact]
    public async Task StalledPage_RequisitionNobodyApproves_ListedAsStalledAndEachFlowSaysWhatItsDeadLettersAre()
    {
        var spec = new ProcureToPaySpec(Requisitions: 1, Rejected: 0, Partial: 0, PriceMismatch: 0, Duplicates: 0, Locations: 1);
        var created = await mesh.Clients.Requisitions.CreateRequisitionAsync(ProcureToPayScenario.RequisitionOf(0, Guid.NewGuid().ToString("N")[..8], spec));
        await mesh.Clients.Requisitions.SubmitRequisitionAsync(new SubmitRequisitionRequest { Name = created.Name });
        var caseId = created.Name["requisitions/".Length..];
        await RoutedAsync(created.Name);

        var page = await mesh.SignInAsync("cy.ops", "operator");
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Stalled & dead letters" }).ClickAsync();

        // Not stalled yet; the page updates itself once the requisition has waited long enough.
        var row = page.Locator($"#flow-procure-to-pay tr[data-case='{caseId}']");
        await Assertions.Expect(page.Locator("#flow-procure-to-pay")).ToBeVisibleAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0);
        mesh.WorkflowsClock.Advance(mesh.StalledAfter);
        await Assertions.Expect(row).ToContainTextAsync("RouteRequisition", Eventually);
        await Assertions.Expect(page.Locator("#flow-procure-to-pay .no-dead-letter-topic")).ToContainTextAsync("No dead-letter topic is configured");
        await Assertions.Expect(page.Locator("#flow-inventory-to-charge h3").Nth(1)).ToHaveTextAsync("Dead letters");
        await Assertions.Expect(page.Locator("#flow-inventory-to-charge")).ToContainTextAsync(".deadletter");
        await row.GetByRole(AriaRole.Link, new() { Name = caseId }).ClickAsync();
        await Assertions.Expect(page.Locator("#case-state")).ToHaveTextAsync("RUNNING");
    }

    // Waits until the saga has routed the requisition to an approver: the step it then waits on.
    private async Task RoutedAsync(string requisition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await mesh.Clients.Requisitions.GetRequisitionAsync(new GetRequisitionRequest { Name = requisition })).Approver.Length == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{requisition} not routed within 60 s");
            await Task.Delay(100);
        }
    }
}
