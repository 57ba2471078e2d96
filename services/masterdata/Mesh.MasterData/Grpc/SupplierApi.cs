using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.MasterData.Domain;
using Mesh.Resources;

namespace Mesh.MasterData.Grpc;

/// <summary>mesh.masterdata.v1.SupplierService: maps requests to the <see cref="SupplierMaster"/>; reads and lists come straight from the store.</summary>
public sealed class SupplierApi(ResourceStore<Supplier> suppliers, SupplierMaster master) : SupplierService.SupplierServiceBase
{
    /// <inheritdoc />
    public override async Task<Supplier> GetSupplier(GetSupplierRequest request, ServerCallContext context) =>
        await suppliers.GetAsync(SupplierRules.Suppliers.IdOf(request.Name, "name"), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);

    /// <inheritdoc />
    public override async Task<ListSuppliersResponse> ListSuppliers(ListSuppliersRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var (page, next) = await Paging.PageAsync(await suppliers.IdsAsync(ct), request.PageSize, request.PageToken, ids => suppliers.GetManyAsync(ids, ct), supplier => Matches(supplier, request));
        return new ListSuppliersResponse { Suppliers = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override Task<Supplier> CreateSupplier(CreateSupplierRequest request, ServerCallContext context) =>
        master.CreateAsync(request.Supplier ?? throw ResourceErrors.Invalid("supplier is required"), request.SupplierId, request.RequestId, context.CancellationToken);

    /// <inheritdoc />
    public override Task<Supplier> UpdateSupplier(UpdateSupplierRequest request, ServerCallContext context) =>
        master.UpdateAsync(request.Supplier ?? throw ResourceErrors.Invalid("supplier is required"), request.UpdateMask, context.CancellationToken);

    /// <inheritdoc />
    public override async Task<Empty> DeleteSupplier(DeleteSupplierRequest request, ServerCallContext context)
    {
        await master.DeleteAsync(request.Name, request.Etag, context.CancellationToken);
        return new Empty();
    }

    /// <inheritdoc />
    public override async Task<FindDuplicateSuppliersResponse> FindDuplicateSuppliers(FindDuplicateSuppliersRequest request, ServerCallContext context)
    {
        var candidate = request.Supplier ?? throw ResourceErrors.Invalid("supplier is required");
        var matches = await master.FindDuplicatesAsync(candidate, request.MinScoreBasisPoints, request.MaxMatches, context.CancellationToken);
        return new FindDuplicateSuppliersResponse { Matches = { matches.Select(m => new SupplierMatch { Supplier = m.Supplier, ScoreBasisPoints = m.Score, MatchedFields = { m.Fields } }) } };
    }

    private static bool Matches(Supplier supplier, ListSuppliersRequest filter) =>
        (filter.State == SupplierState.Unspecified || supplier.State == filter.State)
        && (filter.TaxId.Length == 0 || Matching.SameIdentifier(supplier.TaxId, filter.TaxId));
}
