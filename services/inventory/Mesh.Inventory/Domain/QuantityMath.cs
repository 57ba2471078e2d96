using Mesh.Contracts.Type.V1;
using Mesh.Resources;

namespace Mesh.Inventory.Domain;

/// <summary>
/// Exact arithmetic on <see cref="Quantity"/>. Units and nanos go through decimal, which holds them exactly
/// (never through double), and results come back as units and nanos of one sign.
/// </summary>
public static class QuantityMath
{
    // No location stocks a trillion of anything; the bound keeps every sum and negation well inside a long.
    private const long MaxUnits = 1_000_000_000_000;

    /// <summary>Zero of <paramref name="unit"/>.</summary>
    public static Quantity Zero(string unit) => new() { Unit = unit };

    /// <summary>The sum, in the unit of <paramref name="a"/>; callers check that the units agree.</summary>
    public static Quantity Plus(this Quantity a, Quantity b) => Quantity.Of(a.ToDecimal() + b.ToDecimal(), a.Unit);

    /// <summary>The quantity with the opposite sign.</summary>
    public static Quantity Negated(this Quantity q) => new() { Units = -q.Units, Nanos = -q.Nanos, Unit = q.Unit };

    /// <summary>-1, 0 or 1 as <paramref name="a"/> is less than, equal to or greater than <paramref name="b"/>, ignoring units.</summary>
    public static int CompareAmount(this Quantity a, Quantity b) => a.ToDecimal().CompareTo(b.ToDecimal());

    /// <summary>-1, 0 or 1 by the sign of the amount.</summary>
    public static int Sign(this Quantity q) => q.Units != 0 ? Math.Sign(q.Units) : Math.Sign(q.Nanos);

    /// <summary>True when both have the same amount and unit.</summary>
    public static bool SameAs(this Quantity a, Quantity b) => a.Unit == b.Unit && a.CompareAmount(b) == 0;

    /// <summary>
    /// INVALID_ARGUMENT naming <paramref name="field"/> unless the quantity is present, has a unit, has nanos
    /// within ±999,999,999 of the same sign as units, and is within the bound.
    /// </summary>
    public static Quantity Require(Quantity? q, string field)
    {
        if (q is null)
        {
            throw ResourceErrors.Invalid($"{field} is required");
        }

        if (string.IsNullOrWhiteSpace(q.Unit))
        {
            throw ResourceErrors.Invalid($"{field}.unit is required (e.g. EA, BX)");
        }

        if (q.Nanos is < -999_999_999 or > 999_999_999 || (q.Units > 0 && q.Nanos < 0) || (q.Units < 0 && q.Nanos > 0))
        {
            throw ResourceErrors.Invalid($"{field}.nanos must be within ±999999999 and have the sign of {field}.units");
        }

        return q.Units is > -MaxUnits and < MaxUnits
            ? q
            : throw ResourceErrors.Invalid($"{field} must be less than {MaxUnits} in magnitude");
    }
}
