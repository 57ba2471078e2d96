using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.Finance.Domain;
using Mesh.Resources;

namespace Mesh.Finance.Infrastructure;

/// <summary>Master data's cost centers, reached through this app's sidecar.</summary>
public sealed class MasterDataCostCenters(CostCenterService.CostCenterServiceClient costCenters) : ICostCenters
{
    /// <inheritdoc />
    public async Task<CostCenter?> FindAsync(string name, CancellationToken ct)
    {
        try
        {
            return await costCenters.GetCostCenterAsync(new GetCostCenterRequest { Name = name }, cancellationToken: ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
        catch (RpcException e)
        {
            throw ResourceErrors.DependencyFailed($"master data could not confirm cost center {name}", e);
        }
    }
}
