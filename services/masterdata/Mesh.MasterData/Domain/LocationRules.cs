using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;

namespace Mesh.MasterData.Domain;

/// <summary>What makes a location valid: the places supplies are received, stored and used, a tree within each facility.</summary>
public static class LocationRules
{
    /// <summary>The locations collection.</summary>
    public static readonly ResourceName Locations = new("locations");

    /// <summary>The locations grouped by their parent, so a delete checks for children in one group.</summary>
    public static ReferenceGroup<Location> ByParent(ResourceStore<Location> locations) => new(locations, "parent", l => [l.ParentLocation]);

    /// <summary>The locations grouped by the cost center they are charged to, so a cost center's delete reads one group.</summary>
    public static ReferenceGroup<Location> ByCostCenter(ResourceStore<Location> locations) => new(locations, "cost-center", l => [l.CostCenter]);

    /// <summary>The fields an update may change (not the facility: a location stays in its facility's tree).</summary>
    public static readonly IReadOnlySet<string> UpdatablePaths = new HashSet<string>(StringComparer.Ordinal)
    {
        "display_name", "type", "parent_location", "cost_center", "external_ids", "state",
    };

    /// <summary>INVALID_ARGUMENT naming the field unless the location is complete and its references are names.</summary>
    public static void Validate(Location location)
    {
        if (string.IsNullOrWhiteSpace(location.DisplayName))
        {
            throw ResourceErrors.Invalid("location.display_name is required");
        }

        if (location.Type == LocationType.Unspecified || !Enum.IsDefined(location.Type))
        {
            throw ResourceErrors.Invalid("location.type is required (e.g. LOCATION_TYPE_STOREROOM)");
        }

        if (string.IsNullOrWhiteSpace(location.Facility))
        {
            throw ResourceErrors.Invalid("location.facility is required (the facility code, e.g. MAIN)");
        }

        ValidateReferences(location.ParentLocation, location.CostCenter, "location.");
    }

    /// <summary>INVALID_ARGUMENT unless the references that are set are names of their collection; fields are named after <paramref name="prefix"/>.</summary>
    public static void ValidateReferences(string parentLocation, string costCenter, string prefix)
    {
        if (parentLocation.Length > 0)
        {
            Locations.IdOf(parentLocation, prefix + "parent_location");
        }

        if (costCenter.Length > 0)
        {
            CostCenterRules.CostCenters.IdOf(costCenter, prefix + "cost_center");
        }
    }

    /// <summary>
    /// INVALID_ARGUMENT unless <paramref name="parent"/> can be the parent of <paramref name="name"/> in
    /// <paramref name="facility"/>: the same facility, and no cycle when walking up <paramref name="ancestors"/>
    /// (the parent's ancestors, nearest first, as far as they exist).
    /// </summary>
    public static void CheckParent(string name, string facility, Location parent, IEnumerable<Location> ancestors)
    {
        if (parent.Facility != facility)
        {
            throw ResourceErrors.Invalid($"location.parent_location {parent.Name} is in facility '{parent.Facility}', not '{facility}'");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal) { name };
        foreach (var ancestor in ancestors.Prepend(parent))
        {
            if (!seen.Add(ancestor.Name))
            {
                throw ResourceErrors.Invalid($"location.parent_location {parent.Name} would make a cycle of locations");
            }
        }
    }
}
