namespace Mesh.Finance;

/// <summary>Settings of the finance app, bound from the "Finance" configuration section.</summary>
public sealed class FinanceOptions
{
    /// <summary>The GL account debited with the cost of consumed supplies.</summary>
    public string SuppliesExpenseAccount { get; set; } = "6100";

    /// <summary>The GL account credited when supplies are consumed: the inventory asset they left.</summary>
    public string InventoryAccount { get; set; } = "1400";

    /// <summary>The GL account credited with what a matched supplier invoice says is owed.</summary>
    public string AccountsPayableAccount { get; set; } = "2100";

    /// <summary>The goods received / invoice received clearing account, debited when a matched invoice is booked.</summary>
    public string ReceivedNotInvoicedAccount { get; set; } = "2150";
}
