using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;

namespace Mesh.MasterData.Grpc;

/// <summary>
/// mesh.masterdata.v1.CostCenterService: the cost centers supplies are charged to (AIP standard methods with
/// ETags and request ids), each code unique within its company code as in the ERP.
/// </summary>
/// <param name="costCenters">The cost centers.</param>
/// <param name="codes">The claims of company code and code, taken when a cost center is created.</param>
public sealed class CostCenterApi(ResourceStore<CostCenter> costCenters, ResourceStore<Location> locations, UniqueKeys codes) : CostCenterService.CostCenterServiceBase
{
    private static readonly ResourceName CostCenters = new("costCenters");

    // code and company_code are not among them, so a cost center keeps the code it claimed when it was created.
    private static readonly HashSet<string> UpdatablePaths = new(StringComparer.Ordinal)
    {
        "display_name", "department", "manager", "external_ids", "state",
    };

    /// <inheritdoc />
    public override async Task<CostCenter> GetCostCenter(GetCostCenterRequest request, ServerCallContext context) =>
        await costCenters.GetAsync(CostCenters.IdOf(request.Name, "name"), context.CancellationToken) ?? throw ResourceErrors.NotFound(request.Name);

    /// <inheritdoc />
    public override async Task<ListCostCentersResponse> ListCostCenters(ListCostCentersRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var (page, next) = await Paging.PageAsync(await costCenters.IdsAsync(ct), request.PageSize, request.PageToken, ids => costCenters.GetManyAsync(ids, ct), costCenter => Matches(costCenter, request));
        return new ListCostCentersResponse { CostCenters = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override async Task<CostCenter> CreateCostCenter(CreateCostCenterRequest request, ServerCallContext context)
    {
        var costCenter = request.CostCenter?.Clone() ?? throw ResourceErrors.Invalid("cost_center is required");
        Validate(costCenter);
        var id = ResourceName.NewId(request.CostCenterId, "cost_center_id");
        var now = Timestamp.FromDateTime(DateTime.UtcNow);
        costCenter.Name = CostCenters.Of(id);
        costCenter.State = costCenter.State == CostCenterState.Unspecified ? CostCenterState.Active : costCenter.State;
        costCenter.CreateTime = now;
        costCenter.UpdateTime = now;
        return await costCenters.CreateAsync(id, costCenter, request.RequestId, context.CancellationToken, async ct =>
        [
            await codes.ClaimAsync(
                [costCenter.CompanyCode, costCenter.Code],
                id,
                async holder => await costCenters.GetAsync(holder, ct) is { } held && held.CompanyCode == costCenter.CompanyCode && held.Code == costCenter.Code,
                holder => new RpcException(new Status(StatusCode.AlreadyExists, $"cost_center.code '{costCenter.Code}' is already used in company_code '{costCenter.CompanyCode}' by {CostCenters.Of(holder)}")),
                ct),
        ]);
    }

    /// <inheritdoc />
    public override async Task<CostCenter> UpdateCostCenter(UpdateCostCenterRequest request, ServerCallContext context)
    {
        var change = request.CostCenter ?? throw ResourceErrors.Invalid("cost_center is required");
        var id = CostCenters.IdOf(change.Name, "cost_center.name");
        return await StandardMethods.UpdateAsync(costCenters, id, change, request.UpdateMask, UpdatablePaths, updated =>
        {
            Validate(updated);
            updated.UpdateTime = Timestamp.FromDateTime(DateTime.UtcNow);
        }, context.CancellationToken);
    }

    /// <inheritdoc />
    public override async Task<Empty> DeleteCostCenter(DeleteCostCenterRequest request, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        if ((await locations.AllAsync(ct)).FirstOrDefault(l => l.CostCenter == request.Name) is { } location)
        {
            throw ResourceErrors.FailedPrecondition($"{location.Name} is charged to {request.Name}; move it to another cost center first, or make {request.Name} inactive");
        }

        await StandardMethods.DeleteAsync(costCenters, CostCenters.IdOf(request.Name, "name"), request.Name, request.Etag, context.CancellationToken);
        return new Empty();
    }

    private static bool Matches(CostCenter costCenter, ListCostCentersRequest filter) =>
        (filter.State == CostCenterState.Unspecified || costCenter.State == filter.State)
        && (filter.CompanyCode.Length == 0 || costCenter.CompanyCode == filter.CompanyCode)
        && (filter.Code.Length == 0 || costCenter.Code == filter.Code)
        && (filter.Manager.Length == 0 || costCenter.Manager == filter.Manager);

    private static void Validate(CostCenter costCenter)
    {
        if (string.IsNullOrWhiteSpace(costCenter.Code))
        {
            throw ResourceErrors.Invalid("cost_center.code is required (the ERP cost center code, e.g. 4010)");
        }

        if (string.IsNullOrWhiteSpace(costCenter.DisplayName))
        {
            throw ResourceErrors.Invalid("cost_center.display_name is required");
        }

        if (string.IsNullOrWhiteSpace(costCenter.CompanyCode))
        {
            throw ResourceErrors.Invalid("cost_center.company_code is required (the ERP company code, e.g. 1000)");
        }
    }
}
