using Grpc.Core;
using Mesh.Contracts.Procurement.V1;
using Mesh.Procurement.Domain;
using Mesh.Resources;

namespace Mesh.Procurement.Grpc;

/// <summary>
/// mesh.procurement.v1.SupplierInvoiceService: maps requests to <see cref="SupplierInvoices"/>; reads and lists come
/// straight from the store, and List filters by supplier so the partner gateway can scope a supplier to its own invoices.
/// </summary>
public sealed class SupplierInvoiceApi(ResourceStore<SupplierInvoice> store, SupplierInvoices invoices) : SupplierInvoiceService.SupplierInvoiceServiceBase
{
    /// <inheritdoc />
    public override async Task<SupplierInvoice> GetSupplierInvoice(GetSupplierInvoiceRequest request, ServerCallContext context) =>
        await store.GetAsync(ProcurementNames.SupplierInvoices.IdOf(request.Name, "name"), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);

    /// <inheritdoc />
    public override async Task<ListSupplierInvoicesResponse> ListSupplierInvoices(ListSupplierInvoicesRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var (page, next) = await Paging.PageAsync(await store.IdsAsync(ct), request.PageSize, request.PageToken, ids => store.GetManyAsync(ids, ct), i =>
            (request.Supplier.Length == 0 || i.Supplier == request.Supplier)
            && (request.PurchaseOrder.Length == 0 || i.PurchaseOrder == request.PurchaseOrder)
            && (request.State == SupplierInvoiceState.Unspecified || i.State == request.State)
            && (request.MatchStatus == InvoiceMatchStatus.Unspecified || i.MatchStatus == request.MatchStatus));
        return new ListSupplierInvoicesResponse { SupplierInvoices = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override Task<SupplierInvoice> CreateSupplierInvoice(CreateSupplierInvoiceRequest request, ServerCallContext context) =>
        invoices.CreateAsync(request.SupplierInvoice ?? throw ResourceErrors.Invalid("supplier_invoice is required"), request.SupplierInvoiceId, request.RequestId, context.CancellationToken);

    /// <inheritdoc />
    public override Task<SupplierInvoice> MatchSupplierInvoice(MatchSupplierInvoiceRequest request, ServerCallContext context) =>
        invoices.MatchAsync(request.Name, request.Etag, context.CancellationToken);

    /// <inheritdoc />
    public override Task<SupplierInvoice> ReleaseSupplierInvoiceHold(ReleaseSupplierInvoiceHoldRequest request, ServerCallContext context) =>
        invoices.ReleaseHoldAsync(request.Name, request.Operator, request.Comment, request.Etag, context.CancellationToken);
}
