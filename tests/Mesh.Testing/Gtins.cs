namespace Mesh.Testing;

/// <summary>GTINs for test data, which the item contract accepts only with a valid GS1 check digit.</summary>
public static class Gtins
{
    /// <summary><paramref name="digits"/> (7, 11, 12 or 13 of them) followed by their GS1 check digit.</summary>
    public static string WithCheckDigit(string digits)
    {
        // Weights 3 and 1 alternate from the rightmost digit.
        var sum = digits.Reverse().Select((c, i) => (c - '0') * (i % 2 == 0 ? 3 : 1)).Sum();
        return digits + (char)('0' + ((10 - (sum % 10)) % 10));
    }
}
