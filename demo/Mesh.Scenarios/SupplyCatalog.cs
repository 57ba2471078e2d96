using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;

namespace Mesh.Scenarios;

/// <summary>A supply as a hospital's item master would hold it: what it costs, and what a patient is charged.</summary>
/// <param name="Description">The item description.</param>
/// <param name="Unit">The stocking unit.</param>
/// <param name="StandardCost">What the hospital pays.</param>
/// <param name="ChargePrice">What the patient's account is charged; null for floor stock that is not billed.</param>
/// <param name="ChargeCode">The charge master code.</param>
/// <param name="Hcpcs">The HCPCS code, for billable devices.</param>
public sealed record Supply(string Description, string Unit, decimal StandardCost, decimal? ChargePrice, string ChargeCode, string Hcpcs)
{
    /// <summary>Supplies of a perioperative and cath lab storeroom; billable implants and devices, and floor stock.</summary>
    public static IReadOnlyList<Supply> Storeroom { get; } =
    [
        new("Suture 3-0 nylon, 18 in, FS-1 needle", "EA", 3.85m, 12.50m, "272-1001", ""),
        new("Foley catheter 16 Fr, 5 mL balloon", "EA", 4.10m, 38.00m, "272-1102", "A4338"),
        new("Drug-eluting coronary stent 3.0 x 18 mm", "EA", 985.00m, 4200.00m, "278-2001", "C1874"),
        new("Hip stem, cementless, size 12", "EA", 1450.00m, 6900.00m, "278-3005", "C1776"),
        new("Cortical bone screw 4.5 x 36 mm", "EA", 42.00m, 210.00m, "278-3101", "C1713"),
        new("Central venous catheter kit, triple lumen", "EA", 28.50m, 165.00m, "272-1203", "C1751"),
        new("Gauze sponge 4 x 4 in, sterile, 10 pack", "PK", 0.95m, null, "", ""),
        new("Exam gloves, nitrile, medium", "BX", 6.20m, null, "", ""),
        new("Syringe 10 mL, Luer lock", "EA", 0.18m, null, "", ""),
        new("Surgical mask, ASTM level 3", "BX", 9.40m, null, "", ""),
    ];

    /// <summary>The item master record of this supply.</summary>
    public Item ToItem(string manufacturerPartNumber) => new()
    {
        Description = Description,
        Manufacturer = "Mesh Demo Medical",
        ManufacturerPartNumber = manufacturerPartNumber,
        StockingUnit = Unit,
        Category = ChargePrice is null ? "floor-stock" : "billable-supplies",
        Chargeable = ChargePrice is not null,
        ChargeCode = ChargeCode,
        HcpcsCode = Hcpcs,
        // The four-digit UB-04 revenue code of the charge code's family, e.g. 0272 (sterile supplies), 0278 (implants).
        RevenueCode = ChargePrice is null ? "" : "0" + ChargeCode[..3],
        ChargePrice = ChargePrice is { } price ? Money.Of("USD", price) : null,
        StandardCost = Money.Of("USD", StandardCost),
    };
}
