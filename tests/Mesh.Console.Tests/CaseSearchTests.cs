using Microsoft.Playwright;

namespace Mesh.Console.Tests;

/// <summary>The search box finds a procure-to-pay case by the documents it owns, in a real browser.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class CaseSearchTests(ConsoleMesh mesh)
{
    [Fact]
    public async Task Search_ByRequisitionOrderOrInvoiceName_OpensTheOwningCase()
    {
        var held = await mesh.HeldRequisitionAsync();
        var caseId = held.Name[(held.Name.LastIndexOf('/') + 1)..];
        var page = await mesh.SignInAsync("cy.ops", "operator");

        foreach (var document in new[] { held.ProcureToPay.Requisition, held.ProcureToPay.PurchaseOrders[0], held.ProcureToPay.HeldSupplierInvoices[0] })
        {
            await page.GotoAsync("/");
            await page.GetByRole(AriaRole.Textbox, new() { Name = "Search cases" }).FillAsync(document);
            await page.GetByRole(AriaRole.Button, new() { Name = "Find case" }).ClickAsync();

            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync($"Case {caseId}");
            Assert.EndsWith($"/flows/procure-to-pay/cases/{caseId}", page.Url, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Search_DocumentNoCaseOwns_SaysSo()
    {
        var page = await mesh.SignInAsync("cy.ops", "operator");

        await page.GotoAsync("/search?q=purchaseOrders/no-such-order");

        await Assertions.Expect(page.Locator("#no-case")).ToHaveTextAsync("No flow has a case that owns “purchaseOrders/no-such-order”.");
    }
}
