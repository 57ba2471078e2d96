using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;

namespace Mesh.MasterData.Domain;

/// <summary>What makes an item valid, which of its identifiers must be unique, and how alike two items are.</summary>
public static class ItemRules
{
    /// <summary>The items collection.</summary>
    public static readonly ResourceName Items = new("items");

    /// <summary>The items grouped by the suppliers of their part numbers, so a supplier's delete reads one group.</summary>
    public static ReferenceGroup<Item> BySupplier(ResourceStore<Item> items) => new(items, "supplier", i => i.SupplierPartNumbers.Select(p => p.Supplier));

    /// <summary>The fields an update may change.</summary>
    public static readonly IReadOnlySet<string> UpdatablePaths = new HashSet<string>(StringComparer.Ordinal)
    {
        "description", "manufacturer", "manufacturer_part_number", "supplier_part_numbers", "gtin", "udi_device_identifier",
        "stocking_unit", "category", "unspsc_code", "chargeable", "charge_code", "hcpcs_code", "revenue_code", "billing_unit",
        "charge_price", "standard_cost", "external_ids", "state",
    };

    /// <summary>INVALID_ARGUMENT naming the field or rule unless the item is complete and consistent.</summary>
    public static void Validate(Item item)
    {
        if (string.IsNullOrWhiteSpace(item.Description))
        {
            throw ResourceErrors.Invalid("item.description is required");
        }

        if (string.IsNullOrWhiteSpace(item.StockingUnit))
        {
            throw ResourceErrors.Invalid("item.stocking_unit is required (e.g. EA, BX)");
        }

        if (item.Chargeable && string.IsNullOrWhiteSpace(item.ChargeCode))
        {
            throw ResourceErrors.Invalid("item.charge_code is required when item.chargeable is true");
        }

        if (item.Chargeable && (item.ChargePrice is null || item.ChargePrice.ToDecimal() <= 0 || item.ChargePrice.CurrencyCode.Length == 0))
        {
            throw ResourceErrors.Invalid("item.charge_price is required when item.chargeable is true (a positive chargemaster price with its currency)");
        }

        for (var i = 0; i < item.SupplierPartNumbers.Count; i++)
        {
            var part = item.SupplierPartNumbers[i];
            if (string.IsNullOrWhiteSpace(part.Supplier) || string.IsNullOrWhiteSpace(part.PartNumber))
            {
                throw ResourceErrors.Invalid($"item.supplier_part_numbers[{i}] needs both supplier and part_number");
            }
        }

        if (item.SupplierPartNumbers.GroupBy(p => p.Supplier, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } repeated)
        {
            throw ResourceErrors.Invalid($"item.supplier_part_numbers has {repeated.Count()} numbers for {repeated.Key}; at most one per supplier");
        }

        if (item.SupplierPartNumbers.Count(p => p.Preferred) > 1)
        {
            throw ResourceErrors.Invalid("item.supplier_part_numbers has more than one preferred supplier; at most one per item");
        }
    }

    /// <summary>
    /// The identifiers no two items may share: the GTIN (leading zeros dropped, so a GTIN-12 and its GTIN-14 form
    /// are one) and the UDI device identifier.
    /// </summary>
    public static IEnumerable<UniqueIdentifier> IdentifiersOf(Item item)
    {
        if (Matching.Normalize(item.Gtin).TrimStart('0') is { Length: > 0 } gtin)
        {
            yield return new UniqueIdentifier("item.gtin", "gtin", gtin);
        }

        if (Matching.Normalize(item.UdiDeviceIdentifier) is { Length: > 0 } udi)
        {
            yield return new UniqueIdentifier("item.udi_device_identifier", "udi-di", udi);
        }
    }

    /// <summary>
    /// How alike two items are, in basis points, and the fields that agree. The strongest identifier that matches
    /// decides: GTIN, then manufacturer part number, then supplier part number, else how many description words the
    /// two share (Jaccard).
    /// </summary>
    public static (int Score, List<string> Fields) Similarity(Item candidate, Item existing)
    {
        var fields = new List<string>();
        var score = 0;
        if (Matching.SameIdentifier(candidate.Gtin, existing.Gtin))
        {
            (score, fields) = (10000, ["gtin"]);
        }

        if (Matching.SameIdentifier(candidate.ManufacturerPartNumber, existing.ManufacturerPartNumber)
            && Matching.Normalize(candidate.Manufacturer) == Matching.Normalize(existing.Manufacturer))
        {
            score = Math.Max(score, 9500);
            fields.Add("manufacturer_part_number");
        }

        if (candidate.SupplierPartNumbers.Any(c => existing.SupplierPartNumbers.Any(e => e.Supplier == c.Supplier && Matching.SameIdentifier(e.PartNumber, c.PartNumber))))
        {
            score = Math.Max(score, 9000);
            fields.Add("supplier_part_numbers");
        }

        var overlap = Matching.WordOverlap(Matching.Words(candidate.Description), Matching.Words(existing.Description));
        if (overlap >= Matching.AgreeingOverlap)
        {
            fields.Add("description");
        }

        return (Math.Max(score, overlap), fields);
    }
}
