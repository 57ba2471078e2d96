using System.Globalization;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Mesh.Contracts.Type.V1;

namespace Mesh.Ingest.Mapping;

/// <summary>Conversions from source text to canonical values; each refusal names the field and the expected form, never the value.</summary>
public static class Conversions
{
    /// <summary>
    /// An HL7 DTM/TS (YYYY[MM[DD[HH[MM[SS[.S...]]]]]][+/-ZZZZ]) as a timestamp; without an offset it is read in
    /// <paramref name="zone"/>.
    /// </summary>
    public static Timestamp Hl7Timestamp(string text, TimeZoneInfo zone, string location)
    {
        var value = text.Split('^')[0].Trim();
        var offsetAt = value.IndexOfAny(['+', '-'], 4);
        var local = offsetAt < 0 ? value : value[..offsetAt];
        var fraction = local.IndexOf('.', StringComparison.Ordinal);
        var digits = fraction < 0 ? local : local[..fraction];
        if (digits.Length is not (4 or 6 or 8 or 10 or 12 or 14) || !digits.All(char.IsAsciiDigit))
        {
            throw Malformed(location, "an HL7 timestamp (YYYYMMDDHHMMSS, optionally with .S and +/-ZZZZ)");
        }

        var padded = digits + "00000101000000"[digits.Length..];
        if (!DateTime.TryParseExact(padded, "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var wall))
        {
            throw Malformed(location, "an HL7 timestamp with a valid date and time");
        }

        if (fraction >= 0 && double.TryParse("0" + local[fraction..], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
        {
            wall = wall.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
        }

        TimeSpan offset;
        if (offsetAt >= 0)
        {
            var zoneText = value[offsetAt..];
            if (zoneText.Length != 5 || !int.TryParse(zoneText[1..3], CultureInfo.InvariantCulture, out var hours) || !int.TryParse(zoneText[3..], CultureInfo.InvariantCulture, out var minutes))
            {
                throw Malformed(location, "an HL7 timestamp whose offset is +/-ZZZZ");
            }

            offset = new TimeSpan(hours, minutes, 0) * (zoneText[0] == '-' ? -1 : 1);
        }
        else
        {
            offset = zone.GetUtcOffset(wall);
        }

        return Timestamp.FromDateTimeOffset(new DateTimeOffset(wall, offset));
    }

    /// <summary>A FHIR dateTime or date as a timestamp; a date alone is its midnight in <paramref name="zone"/>.</summary>
    public static Timestamp FhirDateTime(string text, TimeZoneInfo zone, string location)
    {
        if (text.Length == 10 && DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return Timestamp.FromDateTimeOffset(new DateTimeOffset(date, zone.GetUtcOffset(date)));
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) && text.Contains('T', StringComparison.Ordinal)
            ? Timestamp.FromDateTimeOffset(at)
            : throw Malformed(location, "a FHIR dateTime (YYYY-MM-DDThh:mm:ss+zz:zz) or date");
    }

    /// <summary>A positive decimal, as quantities are.</summary>
    public static decimal PositiveDecimal(string text, string location) =>
        decimal.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var amount) && amount > 0
            ? amount
            : throw Malformed(location, "a positive number (digits with an optional decimal point)");

    /// <summary>A quantity in <paramref name="unit"/>.</summary>
    public static Quantity Quantity(string text, string unit, string location) => Mesh.Contracts.Type.V1.Quantity.Of(PositiveDecimal(text, location), unit);

    /// <summary>An amount of money in <paramref name="currency"/> (an ISO 4217 code).</summary>
    public static Money Money(string text, string currency, string location)
    {
        if (currency.Length != 3 || !currency.All(char.IsAsciiLetterUpper))
        {
            throw Malformed(location, "an amount with a three-letter ISO 4217 currency code");
        }

        return decimal.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            ? Mesh.Contracts.Type.V1.Money.Of(currency, amount)
            : throw Malformed(location, "an amount of money (digits with an optional decimal point)");
    }

    /// <summary>A yes/no value: Y, N, true, false, yes, no, 1, 0.</summary>
    public static bool Bool(string text, string location) => text.Trim().ToUpperInvariant() switch
    {
        "Y" or "YES" or "TRUE" or "1" => true,
        "N" or "NO" or "FALSE" or "0" => false,
        _ => throw Malformed(location, "yes or no (Y, N, true, false, 1, 0)"),
    };

    /// <summary>A whole number.</summary>
    public static long Int64(string text, string location) =>
        long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number : throw Malformed(location, "a whole number");

    /// <summary>The enum value named <paramref name="text"/>, with or without the enum's prefix (ACTIVE or ITEM_STATE_ACTIVE).</summary>
    public static object Enum(EnumDescriptor type, string text, string location)
    {
        var prefix = string.Concat(type.Name.Select((c, i) => i > 0 && char.IsUpper(c) ? $"_{c}" : c.ToString())).ToUpperInvariant() + "_";
        var name = text.Trim().ToUpperInvariant().Replace(' ', '_').Replace('-', '_');
        var value = type.FindValueByName(name) ?? type.FindValueByName(prefix + name);
        return value is { Number: not 0 }
            ? System.Enum.ToObject(type.ClrType, value.Number)
            : throw Malformed(location, $"one of {string.Join(", ", type.Values.Skip(1).Select(v => v.Name[prefix.Length..]))}");
    }

    private static MappingFailedException Malformed(string location, string expected) =>
        new(new MappingFailure(FailureKind.Malformed, $"{location} must be {expected}", location));
}
