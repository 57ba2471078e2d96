using Mesh.Contracts.Inventory.V1;

namespace Mesh.MasterData.Domain;

/// <summary>
/// What inventory holds at a location, asked before a location is made inactive or deleted. Failures to answer are
/// UNAVAILABLE (worth a retry) or INTERNAL, naming the location.
/// </summary>
public interface IStock
{
    /// <summary>Every balance inventory keeps at <paramref name="location"/>.</summary>
    Task<IReadOnlyList<InventoryBalance>> BalancesAsync(string location, CancellationToken ct);

    /// <summary>Whether inventory ever recorded a stock movement at <paramref name="location"/>.</summary>
    Task<bool> HasMovementsAsync(string location, CancellationToken ct);
}
