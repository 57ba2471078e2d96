using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.MasterData.Domain;
using Mesh.Resources;

namespace Mesh.MasterData.Grpc;

/// <summary>mesh.masterdata.v1.CostCenterService: maps requests to the <see cref="CostCenterMaster"/>; reads and lists come straight from the store.</summary>
public sealed class CostCenterApi(ResourceStore<CostCenter> costCenters, CostCenterMaster master) : CostCenterService.CostCenterServiceBase
{
    /// <inheritdoc />
    public override async Task<CostCenter> GetCostCenter(GetCostCenterRequest request, ServerCallContext context) =>
        await costCenters.GetAsync(CostCenterRules.CostCenters.IdOf(request.Name, "name"), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);

    /// <inheritdoc />
    public override async Task<ListCostCentersResponse> ListCostCenters(ListCostCentersRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var (page, next) = await Paging.PageAsync(await costCenters.IdsAsync(ct), request.PageSize, request.PageToken, ids => costCenters.GetManyAsync(ids, ct), costCenter => Matches(costCenter, request));
        return new ListCostCentersResponse { CostCenters = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override Task<CostCenter> CreateCostCenter(CreateCostCenterRequest request, ServerCallContext context) =>
        master.CreateAsync(request.CostCenter ?? throw ResourceErrors.Invalid("cost_center is required"), request.CostCenterId, request.RequestId, context.CancellationToken);

    /// <inheritdoc />
    public override Task<CostCenter> UpdateCostCenter(UpdateCostCenterRequest request, ServerCallContext context) =>
        master.UpdateAsync(request.CostCenter ?? throw ResourceErrors.Invalid("cost_center is required"), request.UpdateMask, context.CancellationToken);

    /// <inheritdoc />
    public override async Task<Empty> DeleteCostCenter(DeleteCostCenterRequest request, ServerCallContext context)
    {
        await master.DeleteAsync(request.Name, request.Etag, context.CancellationToken);
        return new Empty();
    }

    private static bool Matches(CostCenter costCenter, ListCostCentersRequest filter) =>
        (filter.State == CostCenterState.Unspecified || costCenter.State == filter.State)
        && (filter.CompanyCode.Length == 0 || costCenter.CompanyCode == filter.CompanyCode)
        && (filter.Code.Length == 0 || costCenter.Code == filter.Code)
        && (filter.Manager.Length == 0 || costCenter.Manager == filter.Manager);
}
