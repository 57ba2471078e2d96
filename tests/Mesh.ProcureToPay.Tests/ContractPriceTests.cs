using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Contracts.Workflows.V1;

namespace Mesh.ProcureToPay.Tests;

/// <summary>
/// Requisition lines priced by master data's contracts (medline's contracts/medline-gloves prices gloves at 7.20 a box
/// and drapes only by the case): the order carries the contract price and refers to the contract, and the three-way
/// match holds the invoice to that price.
/// </summary>
public sealed class ContractPriceTests(ProcureToPayMesh mesh) : IClassFixture<ProcureToPayMesh>
{
    private static RequisitionLine Gloves(decimal boxes, decimal? estimate) => new()
    {
        Item = "items/glove-nitrile-m",
        Quantity = Quantity.Of(boxes, "BX"),
        EstimatedUnitPrice = estimate is { } e ? Money.Of("USD", e) : null,
    };

    private async Task<PurchaseOrder> ApprovedOrderAsync(Requisition requisition)
    {
        await mesh.RoutedToAsync(requisition, "employees/ward-manager");
        await mesh.Requisitions.ApproveRequisitionAsync(new ApproveRequisitionRequest { Name = requisition.Name, Reviewer = "employees/ward-manager" });
        return await mesh.SentOrderAsync(requisition, 1);
    }

    [Fact]
    public async Task Requisition_ItemUnderContract_OrderLineAtTheContractPrice_InvoiceAtItMatchesAndPosts()
    {
        var requisition = await mesh.SubmitAsync(Gloves(5, estimate: 7.50m));
        var order = await ApprovedOrderAsync(requisition);

        await mesh.ReceiveAllAsync(order);
        var invoice = await mesh.InvoiceAsync(order);
        var completed = await mesh.CaseAsync(requisition, CaseState.Completed);
        var matched = await mesh.Invoices.GetSupplierInvoiceAsync(new GetSupplierInvoiceRequest { Name = invoice.Name });

        var line = Assert.Single(order.Lines);
        Assert.Equal((7.20m, "contracts/medline-gloves", "MDS195084"), (line.UnitPrice.ToDecimal(), line.Contract, line.SupplierPartNumber));
        Assert.Equal(InvoiceMatchStatus.Matched, matched.MatchStatus);
        Assert.Single(completed.ProcureToPay.JournalEntries);
    }

    [Fact]
    public async Task Requisition_ItemUnderContract_InvoiceAtTheRequisitionsEstimate_IsHeldAsPriceVariance()
    {
        var requisition = await mesh.SubmitAsync(Gloves(5, estimate: 7.50m));
        var order = await ApprovedOrderAsync(requisition);

        await mesh.ReceiveAllAsync(order);
        await mesh.InvoiceAsync(order, unitPrice: 7.50m);
        var held = await mesh.CaseAsync(requisition, CaseState.Exception, "invoice_price_variance");

        Assert.Contains("PRICE_ABOVE_TOLERANCE: line 1", held.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requisition_EstimateBeyondTheContractTolerance_RefusedNamingTheLine_RequisitionCancelled()
    {
        var requisition = await mesh.SubmitAsync(Gloves(5, estimate: 9.50m));

        var refused = await mesh.CaseAsync(requisition, CaseState.Exception, "contract_price_variance");
        var after = await mesh.Requisitions.GetRequisitionAsync(new GetRequisitionRequest { Name = requisition.Name });

        Assert.Equal("lines[1].estimated_unit_price differs from the price of contracts/medline-gloves by more than the 10% tolerance", refused.Detail);
        Assert.Equal(RequisitionState.Cancelled, after.State);
        Assert.Empty(refused.ProcureToPay.PurchaseOrders);
    }

    [Fact]
    public async Task Requisition_InAUnitTheContractDoesNotPrice_RefusedAsContractUnitMismatch()
    {
        var requisition = await mesh.SubmitAsync(new RequisitionLine { Item = "items/drape-lap", Quantity = Quantity.Of(12, "EA") });

        var refused = await mesh.CaseAsync(requisition, CaseState.Exception, "contract_unit_mismatch");

        Assert.Equal("lines[1].quantity is in EA, contracts/medline-gloves prices items/drape-lap only in CS", refused.Detail);
        Assert.Empty(refused.ProcureToPay.PurchaseOrders);
    }

    [Fact]
    public async Task Requisition_UnderContractWithoutEstimate_OrderedAtTheContractPrice()
    {
        var requisition = await mesh.SubmitAsync(Gloves(2, estimate: null));

        var order = await ApprovedOrderAsync(requisition);

        Assert.Equal((7.20m, "contracts/medline-gloves"), (order.Lines[0].UnitPrice.ToDecimal(), order.Lines[0].Contract));
    }
}
