using Grpc.Core;
using Mesh.Charges.Domain;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;

namespace Mesh.Charges.Infrastructure;

/// <summary>The charge master in master data's item service, reached through this app's sidecar.</summary>
public sealed class MasterDataChargeMaster(ItemService.ItemServiceClient items) : IChargeMaster
{
    /// <inheritdoc />
    public async Task<Item> ItemAsync(string name, CancellationToken ct)
    {
        try
        {
            return await items.GetItemAsync(new GetItemRequest { Name = name }, cancellationToken: ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            throw ResourceErrors.FailedPrecondition($"{name} does not exist in master data");
        }
        catch (RpcException e)
        {
            throw new RpcException(new Status(e.StatusCode, $"master data could not read {name}: {e.Status.Detail}"));
        }
    }
}
