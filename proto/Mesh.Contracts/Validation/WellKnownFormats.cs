using System.Collections.Frozen;
using Mesh.Contracts.Options.V1;

namespace Mesh.Contracts.Validation;

/// <summary>The well-known string formats of <c>mesh.options.v1.StringFormat</c>: checks and their descriptions.</summary>
public static class WellKnownFormats
{
    // Active ISO 4217 alphabetic codes (the standard's list 1 of 2024), fund and precious-metal codes included
    // because finance systems exchange them.
    private static readonly FrozenSet<string> CurrencyCodes = (
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD " +
        "CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL " +
        "GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD " +
        "KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR " +
        "NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC " +
        "SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU " +
        "XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW ZWG").Split(' ').ToFrozenSet(StringComparer.Ordinal);

    /// <summary>True when <paramref name="value"/> has <paramref name="format"/>.</summary>
    public static bool Matches(StringFormat format, string value) => format switch
    {
        StringFormat.Gtin => IsGtin(value),
        StringFormat.Npi => IsNpi(value),
        StringFormat.Iso4217 => CurrencyCodes.Contains(value),
        StringFormat.Uuid => value.Length == 36 && Guid.TryParseExact(value, "D", out _),
        _ => true,
    };

    /// <summary>What a value of <paramref name="format"/> is, for an error message.</summary>
    public static string Describe(StringFormat format) => format switch
    {
        StringFormat.Gtin => "must be a GTIN-8, GTIN-12, GTIN-13 or GTIN-14 with a valid check digit",
        StringFormat.Npi => "must be a 10-digit NPI with a valid check digit",
        StringFormat.Iso4217 => "must be an active ISO 4217 currency code, e.g. USD",
        StringFormat.Uuid => "must be a UUID in its hyphenated 36-character form",
        _ => "has no required format",
    };

    /// <summary>The rule id of a format, e.g. "string.format.gtin".</summary>
    public static string RuleOf(StringFormat format) => "string.format." + format.ToString().ToLowerInvariant();

    /// <summary>A GS1 GTIN of 8, 12, 13 or 14 digits whose last digit is the GS1 mod-10 check digit.</summary>
    public static bool IsGtin(string value) =>
        value.Length is 8 or 12 or 13 or 14 && value.All(char.IsAsciiDigit) && WithGtinCheckDigit(value[..^1]) == value;

    /// <summary><paramref name="digits"/> followed by their GS1 mod-10 check digit.</summary>
    public static string WithGtinCheckDigit(string digits)
    {
        // Weights alternate 3, 1, 3, ... from the last digit leftwards.
        var sum = 0;
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            sum += (digits[i] - '0') * ((digits.Length - 1 - i) % 2 == 0 ? 3 : 1);
        }

        return digits + (char)('0' + ((10 - (sum % 10)) % 10));
    }

    /// <summary>
    /// A 10-digit NPI: the Luhn check digit of the nine leading digits prefixed with 80840, the ISO 7812 card issuer
    /// prefix of US health identifiers (which adds the constant 24 to the Luhn sum).
    /// </summary>
    public static bool IsNpi(string value)
    {
        if (value.Length != 10 || !value.All(char.IsAsciiDigit))
        {
            return false;
        }

        var sum = 24;
        for (var i = 8; i >= 0; i--)
        {
            var digit = value[i] - '0';
            // Doubled are the digits at even distance from the check digit's left neighbour.
            if ((8 - i) % 2 == 0)
            {
                digit *= 2;
                digit = digit > 9 ? digit - 9 : digit;
            }

            sum += digit;
        }

        return (10 - (sum % 10)) % 10 == value[9] - '0';
    }
}
