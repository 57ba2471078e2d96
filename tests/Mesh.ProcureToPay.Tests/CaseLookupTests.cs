using Grpc.Core;
using Mesh.Contracts.Procurement.V1;
using Mesh.Contracts.Workflows.V1;

namespace Mesh.ProcureToPay.Tests;

/// <summary>CaseService.LookupCase: the procure-to-pay case that owns a requisition, order, receipt or invoice.</summary>
public sealed partial class ProcureToPayTests
{
    [Fact]
    public async Task LookupCase_ByRequisitionOrderReceiptOrInvoice_FindsTheOwningCase()
    {
        var (requisition, invoice, held) = await mesh.HeldAsync();
        var order = invoice.PurchaseOrder;
        var receipt = (await mesh.Receipts.ListGoodsReceiptsAsync(new ListGoodsReceiptsRequest { PurchaseOrder = order })).GoodsReceipts.Single().Name;

        // A receipt's event may reach the saga after the hold was recorded: its document is findable once it has.
        var found = new List<string>();
        foreach (var document in new[] { requisition.Name, order, receipt, invoice.Name })
        {
            Case? owner = null;
            await mesh.EventuallyAsync(async () => (owner = await LookupAsync(document)) is not null, $"the case of {document}");
            found.Add(owner!.Name);
        }

        Assert.All(found, name => Assert.Equal(held.Name, name));
    }

    private async Task<Case?> LookupAsync(string document)
    {
        try
        {
            return await mesh.Cases.LookupCaseAsync(new LookupCaseRequest { Parent = "flows/procure-to-pay", Document = document });
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    [Theory]
    [InlineData("flows/procure-to-pay", "purchaseOrders/no-such-order", StatusCode.NotFound)]
    [InlineData("flows/procure-to-pay", "requisitions/no-such-requisition", StatusCode.NotFound)]
    [InlineData("flows/inventory-to-charge", "purchaseOrders/no-such-order", StatusCode.NotFound)]
    [InlineData("flows/procure-to-pay", "not a name", StatusCode.InvalidArgument)]
    [InlineData("flows/procure-to-pay", "", StatusCode.InvalidArgument)]
    public async Task LookupCase_NoOwnerOrMalformed_NotFoundOrInvalidArgument(string parent, string document, StatusCode expected)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => mesh.Cases.LookupCaseAsync(new LookupCaseRequest { Parent = parent, Document = document }).ResponseAsync);

        Assert.Equal(expected, error.StatusCode);
    }
}
