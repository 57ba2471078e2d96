using Mesh.Contracts.MasterData.V1;

namespace Mesh.Charges.Domain;

/// <summary>Where charges read an item's charge master entry (master data owns it).</summary>
public interface IChargeMaster
{
    /// <summary>
    /// The item: FAILED_PRECONDITION when master data has no such item; a transient failure keeps its status
    /// (UNAVAILABLE, DEADLINE_EXCEEDED), so callers retry it.
    /// </summary>
    Task<Item> ItemAsync(string name, CancellationToken ct);
}
