using Mesh.Contracts.Type.V1;
using Mesh.Resources;

namespace Mesh.Procurement.Domain;

/// <summary>The checks and arithmetic procurement does on quantities and money.</summary>
public static class Amounts
{
    /// <summary>INVALID_ARGUMENT unless <paramref name="quantity"/> is set, with a unit, and above zero.</summary>
    public static decimal RequirePositive(Quantity? quantity, string field) =>
        quantity is null || quantity.Unit.Length == 0 ? throw ResourceErrors.Invalid($"{field} is required, with its unit")
        : quantity.ToDecimal() <= 0 ? throw ResourceErrors.Invalid($"{field} must be positive")
        : quantity.ToDecimal();

    /// <summary>INVALID_ARGUMENT when <paramref name="money"/> is set without a currency or below zero.</summary>
    public static void RequireNotNegative(Money? money, string field)
    {
        if (money is not null && (money.CurrencyCode.Length == 0 || money.ToDecimal() < 0))
        {
            throw ResourceErrors.Invalid($"{field} must have a currency_code and must not be negative");
        }
    }

    /// <summary><paramref name="amount"/> rounded half to even to cents, as the ERP books money.</summary>
    public static decimal Cents(decimal amount) => Math.Round(amount, 2, MidpointRounding.ToEven);

    /// <summary>The quantity, or zero when unset.</summary>
    public static decimal Of(Quantity? quantity) => quantity?.ToDecimal() ?? 0m;

    /// <summary>The amount, or zero when unset.</summary>
    public static decimal Of(Money? money) => money?.ToDecimal() ?? 0m;
}
