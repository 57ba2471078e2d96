using Mesh.Contracts.MasterData.V1;

namespace Mesh.Finance.Domain;

/// <summary>The cost centers postings are charged to; master data owns them.</summary>
public interface ICostCenters
{
    /// <summary>
    /// The cost center, or null when master data has no such one; UNAVAILABLE (worth a retry) or INTERNAL when master
    /// data could not answer.
    /// </summary>
    Task<CostCenter?> FindAsync(string name, CancellationToken ct);
}
