using System.Globalization;
using Mesh.Resources;

namespace Mesh.Procurement.Domain;

/// <summary>The collections procurement owns and the ones its resources refer to.</summary>
public static class ProcurementNames
{
    /// <summary>"requisitions/{requisition}".</summary>
    public static readonly ResourceName Requisitions = new("requisitions");

    /// <summary>"purchaseOrders/{purchase_order}".</summary>
    public static readonly ResourceName PurchaseOrders = new("purchaseOrders");

    /// <summary>"goodsReceipts/{goods_receipt}".</summary>
    public static readonly ResourceName GoodsReceipts = new("goodsReceipts");

    /// <summary>"supplierInvoices/{supplier_invoice}".</summary>
    public static readonly ResourceName SupplierInvoices = new("supplierInvoices");

    /// <summary>"items/{item}".</summary>
    public static readonly ResourceName Items = new("items");

    /// <summary>"suppliers/{supplier}".</summary>
    public static readonly ResourceName Suppliers = new("suppliers");

    /// <summary>"locations/{location}".</summary>
    public static readonly ResourceName Locations = new("locations");

    /// <summary>"costCenters/{cost_center}".</summary>
    public static readonly ResourceName CostCenters = new("costCenters");

    /// <summary>"employees/{employee}".</summary>
    public static readonly ResourceName Employees = new("employees");

    /// <summary>
    /// The id a create asks for, or a new one that counts down with time, so listing in id order lists the newest
    /// first (as the receipts' List promises); INVALID_ARGUMENT naming <paramref name="field"/> when the asked id is malformed.
    /// </summary>
    public static string NewestFirstId(string requested, string field, DateTimeOffset now) =>
        requested.Length > 0 ? ResourceName.NewId(requested, field)
        : string.Create(CultureInfo.InvariantCulture, $"{DateTime.MaxValue.Ticks - now.UtcTicks:D19}-{Guid.NewGuid():N}")[..28];

    /// <summary>INVALID_ARGUMENT unless <paramref name="name"/> is set and of <paramref name="collection"/>.</summary>
    public static void Require(ResourceName collection, string name, string field)
    {
        if (name.Length == 0)
        {
            throw ResourceErrors.Invalid($"{field} is required");
        }

        collection.IdOf(name, field);
    }

    /// <summary>INVALID_ARGUMENT when <paramref name="name"/> is set but not of <paramref name="collection"/>.</summary>
    public static void Optional(ResourceName collection, string name, string field)
    {
        if (name.Length > 0)
        {
            collection.IdOf(name, field);
        }
    }

    /// <summary>The proto name of an enum value without its prefix, e.g. "PENDING_APPROVAL", as messages name states.</summary>
    public static string StateName<TEnum>(TEnum value, string prefix)
        where TEnum : struct, Enum =>
        typeof(TEnum).GetField(value.ToString())?.GetCustomAttributes(typeof(Google.Protobuf.Reflection.OriginalNameAttribute), false)
            .OfType<Google.Protobuf.Reflection.OriginalNameAttribute>().FirstOrDefault()?.Name is { } name && name.StartsWith(prefix, StringComparison.Ordinal)
            ? name[prefix.Length..]
            : value.ToString();
}
