using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Workflows.V1;
using Microsoft.Playwright;

namespace Mesh.Console.Tests;

/// <summary>An accounts payable operator releases a held invoice from the console, in a real browser.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class HoldReleaseTests(ConsoleMesh mesh)
{
    private static readonly LocatorAssertionsToHaveTextOptions Eventually = new() { Timeout = 60_000 };

    [Fact]
    public async Task HeldCase_ReleasedFromTheConsole_CompletesWithTheOperatorRecordedAndAudited()
    {
        var held = await mesh.HeldRequisitionAsync();
        var caseId = held.Name[(held.Name.LastIndexOf('/') + 1)..];
        var invoice = Assert.Single(held.ProcureToPay.HeldSupplierInvoices);

        var page = await mesh.SignInAsync("ap-3", "operator", "workflows.operate");
        await page.GotoAsync($"/flows/procure-to-pay/cases/{caseId}");
        await Assertions.Expect(page.Locator("#case-state")).ToHaveTextAsync("EXCEPTION");
        await Assertions.Expect(page.Locator("#case-reason")).ToHaveTextAsync("invoice_price_variance");
        await page.Locator("#release-hold").ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading)).ToHaveTextAsync($"Confirm: release-hold {caseId}");
        await Assertions.Expect(page.Locator("#held-invoice")).ToHaveTextAsync(invoice);
        await page.Locator("#comment").FillAsync("price increase agreed with the buyer");
        await page.Locator("#confirm").ClickAsync();

        // The page updates itself while the saga posts the liability.
        await Assertions.Expect(page.Locator("#case-state")).ToHaveTextAsync("COMPLETED", Eventually);
        var released = await mesh.Clients.Invoices.GetSupplierInvoiceAsync(new GetSupplierInvoiceRequest { Name = invoice });
        Assert.Equal(("employees/ap-3", "price increase agreed with the buyer"), (released.HoldReleasedBy, released.HoldReleaseComment));
        var audit = (await mesh.PublishedAsync("console.audit")).Select(e => e["data"]!).ToList();
        var entry = Assert.Single(audit, e => (string?)e["case"] == held.Name);
        Assert.Equal(("ap-3", "release-hold", "OK"), ((string?)entry["operator"], (string?)entry["action"], (string?)entry["outcome"]));
        var performed = (await mesh.PublishedAsync("workflows.audit")).Select(e => e["data"]!).ToList();
        var action = Assert.Single(performed, e => (string?)e["case"] == held.Name);
        Assert.Equal(("ap-3", "release-hold", "OK"), ((string?)action["subject"], (string?)action["action"], (string?)action["outcome"]));
    }

    [Fact]
    public async Task HeldCase_OperatorWithoutOperateScope_RefusalShownAndNothingReleased()
    {
        var held = await mesh.HeldRequisitionAsync();
        var caseId = held.Name[(held.Name.LastIndexOf('/') + 1)..];

        var page = await mesh.SignInAsync("ap-4", "operator");
        await page.GotoAsync($"/flows/procure-to-pay/cases/{caseId}/release-hold");
        await page.Locator("#comment").FillAsync("looks fine");
        await page.Locator("#confirm").ClickAsync();

        await Assertions.Expect(page.Locator("#refusal")).ToContainTextAsync("PermissionDenied: the bearer token lacks the scope workflows.operate");
        var invoice = await mesh.Clients.Invoices.GetSupplierInvoiceAsync(new GetSupplierInvoiceRequest { Name = held.ProcureToPay.HeldSupplierInvoices[0] });
        Assert.Equal(SupplierInvoiceState.OnHold, invoice.State);
        Assert.Equal(CaseState.Exception, (await mesh.Clients.Cases.GetCaseAsync(new GetCaseRequest { Name = held.Name })).State);
    }
}
