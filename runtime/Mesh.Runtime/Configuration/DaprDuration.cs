using System.Globalization;

namespace Mesh.Runtime.Configuration;

/// <summary>
/// Durations as Dapr files write them: Go duration strings ("500ms", "1.5s", "2m", "1h30m", "-3s") or a
/// bare integer, which Dapr reads as milliseconds ("1500" is 1.5s).
/// </summary>
public static class DaprDuration
{
    private const decimal TicksPerNanosecond = 0.01m;
    private const long MaxMilliseconds = long.MaxValue / TimeSpan.TicksPerMillisecond;

    /// <summary>Parses a duration; throws <see cref="FormatException"/> naming the value when it is not one.</summary>
    /// <param name="value">The text, e.g. "250ms" or "15000".</param>
    /// <returns>The duration (below 100ns precision is truncated).</returns>
    public static TimeSpan Parse(string value) =>
        TryParse(value, out var duration)
            ? duration
            : throw new FormatException($"'{value}' is not a duration (e.g. 500ms, 1.5s, 2m, 1h30m; a bare number is milliseconds)");

    /// <summary>Parses a duration without throwing.</summary>
    /// <param name="value">The text, e.g. "250ms" or "15000".</param>
    /// <param name="duration">The duration when the text is one, else zero.</param>
    /// <returns>True when <paramref name="value"/> is a duration.</returns>
    public static bool TryParse(string? value, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var milliseconds))
        {
            if (milliseconds is > MaxMilliseconds or < -MaxMilliseconds)
            {
                return false;
            }

            duration = TimeSpan.FromTicks(milliseconds * TimeSpan.TicksPerMillisecond);
            return true;
        }

        var negative = value[0] == '-';
        var text = value[0] is '-' or '+' ? value.AsSpan(1) : value.AsSpan();
        if (text.IsEmpty)
        {
            return false;
        }

        decimal ticks = 0;
        while (text.Length > 0)
        {
            var numberLength = 0;
            while (numberLength < text.Length && (char.IsAsciiDigit(text[numberLength]) || text[numberLength] == '.'))
            {
                numberLength++;
            }

            var number = text[..numberLength];
            if (number.Length == 0 || number is "." || number.IndexOf('.') != number.LastIndexOf('.')
                || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                return false;
            }

            text = text[numberLength..];
            var unitLength = 0;
            while (unitLength < text.Length && !char.IsAsciiDigit(text[unitLength]) && text[unitLength] != '.')
            {
                unitLength++;
            }

            decimal? nanoseconds = text[..unitLength] switch
            {
                "ns" => 1m,
                "us" or "\u00b5s" or "\u03bcs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                "h" => 3_600_000_000_000m,
                _ => null,
            };
            if (nanoseconds is null)
            {
                return false;
            }

            text = text[unitLength..];
            try
            {
                ticks += amount * nanoseconds.Value * TicksPerNanosecond;
            }
            catch (OverflowException)
            {
                return false;
            }
        }

        if (ticks >= TimeSpan.MaxValue.Ticks)
        {
            return false;
        }

        duration = TimeSpan.FromTicks((long)decimal.Truncate(negative ? -ticks : ticks));
        return true;
    }
}
