using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;

namespace Mesh.MasterData.Domain;

/// <summary>
/// The cost centers supplies are charged to: each code claimed within its company code when the cost center is
/// created (ALREADY_EXISTS naming the holder), and deleted only when no location is charged to it.
/// </summary>
/// <param name="codes">The claims of company code and code.</param>
public sealed class CostCenterMaster(ResourceStore<CostCenter> costCenters, LocationMaster locations, UniqueKeys codes, TimeProvider time)
{
    /// <summary>Creates <paramref name="draft"/> under <paramref name="costCenterId"/>, or a new id.</summary>
    public async Task<CostCenter> CreateAsync(CostCenter draft, string costCenterId, string requestId, CancellationToken ct)
    {
        var costCenter = draft.Clone();
        CostCenterRules.Validate(costCenter);
        var id = ResourceName.NewId(costCenterId, "cost_center_id");
        var now = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        costCenter.Name = CostCenterRules.CostCenters.Of(id);
        costCenter.State = costCenter.State == CostCenterState.Unspecified ? CostCenterState.Active : costCenter.State;
        costCenter.CreateTime = now;
        costCenter.UpdateTime = now;
        return await costCenters.CreateAsync(id, costCenter, requestId, ct, async token =>
        [
            await codes.ClaimAsync(
                [costCenter.CompanyCode, costCenter.Code],
                id,
                async holder => await costCenters.GetAsync(holder, token) is { } held && held.CompanyCode == costCenter.CompanyCode && held.Code == costCenter.Code,
                holder => new RpcException(new Status(StatusCode.AlreadyExists, $"cost_center.code '{costCenter.Code}' is already used in company_code '{costCenter.CompanyCode}' by {CostCenterRules.CostCenters.Of(holder)}")),
                token),
        ]);
    }

    /// <summary>Applies the fields of <paramref name="change"/> named by <paramref name="mask"/>.</summary>
    public Task<CostCenter> UpdateAsync(CostCenter change, FieldMask? mask, CancellationToken ct) =>
        StandardMethods.UpdateAsync(costCenters, CostCenterRules.CostCenters.IdOf(change.Name, "cost_center.name"), change, mask, CostCenterRules.UpdatablePaths, updated =>
        {
            CostCenterRules.Validate(updated);
            updated.UpdateTime = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        }, ct);

    /// <summary>Deletes the cost center <paramref name="name"/>: FAILED_PRECONDITION while a location is charged to it.</summary>
    public async Task DeleteAsync(string name, string etag, CancellationToken ct)
    {
        var id = CostCenterRules.CostCenters.IdOf(name, "name");
        if (await locations.FirstChargedToAsync(name, ct) is { } location)
        {
            throw ResourceErrors.FailedPrecondition($"{location.Name} is charged to {name}; move it to another cost center first, or make {name} inactive");
        }

        await StandardMethods.DeleteAsync(costCenters, id, name, etag, ct);
    }
}
