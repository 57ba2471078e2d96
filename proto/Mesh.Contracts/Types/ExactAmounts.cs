namespace Mesh.Contracts.Type.V1;

/// <summary>Exact arithmetic for Money: units and nanos convert losslessly to and from decimal.</summary>
public sealed partial class Money
{
    /// <summary>The amount as an exact decimal.</summary>
    public decimal ToDecimal() => ExactAmount.ToDecimal(Units, Nanos);

    /// <summary>Money of <paramref name="amount"/> in <paramref name="currencyCode"/>, rounded half away from zero to nanos.</summary>
    public static Money Of(string currencyCode, decimal amount)
    {
        var (units, nanos) = ExactAmount.FromDecimal(amount);
        return new Money { CurrencyCode = currencyCode, Units = units, Nanos = nanos };
    }

    /// <summary>"12.50 USD", for messages (never patient data).</summary>
    public string Display() => $"{ToDecimal().ToString("0.00########", System.Globalization.CultureInfo.InvariantCulture)} {CurrencyCode}";
}

/// <summary>Exact arithmetic for Quantity: units and nanos convert losslessly to and from decimal.</summary>
public sealed partial class Quantity
{
    /// <summary>The quantity as an exact decimal.</summary>
    public decimal ToDecimal() => ExactAmount.ToDecimal(Units, Nanos);

    /// <summary>A quantity of <paramref name="amount"/> <paramref name="unit"/>, rounded half away from zero to nanos.</summary>
    public static Quantity Of(decimal amount, string unit)
    {
        var (units, nanos) = ExactAmount.FromDecimal(amount);
        return new Quantity { Units = units, Nanos = nanos, Unit = unit };
    }

    /// <summary>"3 EA", for messages.</summary>
    public string Display() => $"{ToDecimal().ToString("0.#########", System.Globalization.CultureInfo.InvariantCulture)} {Unit}";
}

/// <summary>The units + nanos encoding of google.type.Money, shared by Money and Quantity.</summary>
internal static class ExactAmount
{
    private const decimal NanosPerUnit = 1_000_000_000m;

    public static decimal ToDecimal(long units, int nanos) => units + (nanos / NanosPerUnit);

    // units and nanos carry the same sign, as google.type.Money requires.
    public static (long Units, int Nanos) FromDecimal(decimal amount)
    {
        var rounded = Math.Round(amount, 9, MidpointRounding.AwayFromZero);
        var units = decimal.Truncate(rounded);
        return ((long)units, (int)((rounded - units) * NanosPerUnit));
    }
}
