using Grpc.Core;
using Mesh.Contracts.Procurement.V1;

namespace Mesh.Gateway.Forwarding;

/// <summary>mesh.procurement.v1.SupplierInvoiceService for suppliers: sending and reading their invoices, forwarded to procurement.</summary>
public sealed class SupplierInvoiceForwarder(PartnerForwarder forwarder) : SupplierInvoiceService.SupplierInvoiceServiceBase
{
    /// <inheritdoc />
    public override Task<SupplierInvoice> CreateSupplierInvoice(CreateSupplierInvoiceRequest request, ServerCallContext context) =>
        forwarder.UnaryAsync<CreateSupplierInvoiceRequest, SupplierInvoice>(request, context);

    /// <inheritdoc />
    public override Task<SupplierInvoice> GetSupplierInvoice(GetSupplierInvoiceRequest request, ServerCallContext context) =>
        forwarder.UnaryAsync<GetSupplierInvoiceRequest, SupplierInvoice>(request, context);

    /// <inheritdoc />
    public override Task<ListSupplierInvoicesResponse> ListSupplierInvoices(ListSupplierInvoicesRequest request, ServerCallContext context) =>
        forwarder.UnaryAsync<ListSupplierInvoicesRequest, ListSupplierInvoicesResponse>(request, context);
}
