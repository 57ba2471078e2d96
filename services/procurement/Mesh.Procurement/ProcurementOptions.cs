namespace Mesh.Procurement;

/// <summary>Settings of the procurement app, bound from the "Procurement" configuration section.</summary>
public sealed class ProcurementOptions
{
    /// <summary>How far an invoiced unit price may exceed the ordered price.</summary>
    public Tolerance Price { get; set; } = new() { Percent = 2m, Absolute = 0.50m };

    /// <summary>How far an invoiced quantity may exceed the received quantity, and a received quantity the ordered one.</summary>
    public Tolerance Quantity { get; set; } = new() { Percent = 5m, Absolute = 1m };
}

/// <summary>
/// A tolerance as finance teams state it: a percent of the reference value and an absolute amount (in the reference's
/// currency or unit); the tighter of the two applies, so a small line is held for a few cents and a large one for 2 %.
/// </summary>
public sealed class Tolerance
{
    /// <summary>Percent of the reference value, e.g. 2 for 2 %.</summary>
    public decimal Percent { get; set; }

    /// <summary>An absolute amount in the reference's currency or unit.</summary>
    public decimal Absolute { get; set; }

    /// <summary>The excess allowed over <paramref name="reference"/>: the smaller of the percent of it and the absolute amount.</summary>
    public decimal Allowed(decimal reference) => Math.Min(Math.Abs(reference) * Percent / 100m, Absolute);

    /// <summary>How the tolerance reads in an exception's description, e.g. "2% / 0.50".</summary>
    public string Display() => $"{Percent.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}% / {Absolute.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)}";
}
