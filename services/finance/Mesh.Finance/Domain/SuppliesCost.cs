using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Resources;

namespace Mesh.Finance.Domain;

/// <summary>
/// The journal entry that books consumed supplies: supplies expense of the cost center debited, inventory credited,
/// both with the quantity at the unit cost rounded once, half to even, to the cents the ERP books.
/// </summary>
public static class SuppliesCost
{
    private static readonly ResourceName Items = new("items");

    /// <summary>INVALID_ARGUMENT naming the field unless the request can be booked.</summary>
    public static void Validate(PostSuppliesCostRequest request)
    {
        JournalRules.CostCenters.IdOf(request.CostCenter, "cost_center");
        Items.IdOf(request.Item, "item");
        if (request.Quantity is null || request.Quantity.ToDecimal() <= 0)
        {
            throw ResourceErrors.Invalid("quantity is required and must be positive");
        }

        if (request.UnitCost is not { CurrencyCode.Length: > 0 } cost || cost.ToDecimal() <= 0)
        {
            throw ResourceErrors.Invalid("unit_cost is required: a positive amount with its currency_code");
        }

        if (request.ConsumeTime is null)
        {
            throw ResourceErrors.Invalid("consume_time is required");
        }

        if (Amount(request).ToDecimal() <= 0)
        {
            throw ResourceErrors.Invalid("quantity times unit_cost rounds to zero cents; there is no cost to book");
        }
    }

    /// <summary>The cost to book: quantity times unit cost, rounded half to even to cents.</summary>
    public static Money Amount(PostSuppliesCostRequest request) =>
        Money.Of(request.UnitCost.CurrencyCode, Math.Round(request.UnitCost.ToDecimal() * request.Quantity.ToDecimal(), 2, MidpointRounding.ToEven));

    /// <summary>The entry to record for <paramref name="request"/>, in the company of <paramref name="costCenter"/>.</summary>
    public static JournalEntry Entry(PostSuppliesCostRequest request, CostCenter costCenter, FinanceOptions accounts)
    {
        var amount = Amount(request);
        return new JournalEntry
        {
            CompanyCode = costCenter.CompanyCode,
            AccountingDate = request.ConsumeTime,
            Description = request.Location.Length > 0 ? $"Supplies consumed: {request.Item} at {request.Location}" : $"Supplies consumed: {request.Item}",
            Source = JournalEntrySource.InventoryConsumption,
            SourceDocument = request.SourceDocument,
            Lines =
            {
                new JournalLine { GlAccount = accounts.SuppliesExpenseAccount, CostCenter = costCenter.Name, Debit = amount, Item = request.Item, Memo = "supplies consumed" },
                new JournalLine { GlAccount = accounts.InventoryAccount, CostCenter = costCenter.Name, Credit = amount, Item = request.Item, Memo = "inventory relieved" },
            },
        };
    }
}
