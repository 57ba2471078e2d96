using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;

namespace Mesh.MasterData.Domain;

/// <summary>What makes a cost center valid; its code is unique within its company code, as in the ERP.</summary>
public static class CostCenterRules
{
    /// <summary>The cost centers collection.</summary>
    public static readonly ResourceName CostCenters = new("costCenters");

    /// <summary>
    /// The fields an update may change: not code or company_code, so a cost center keeps the code it claimed when it
    /// was created.
    /// </summary>
    public static readonly IReadOnlySet<string> UpdatablePaths = new HashSet<string>(StringComparer.Ordinal)
    {
        "display_name", "department", "manager", "external_ids", "state",
    };

    /// <summary>INVALID_ARGUMENT naming the field unless the cost center is complete.</summary>
    public static void Validate(CostCenter costCenter)
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
