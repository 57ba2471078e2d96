using System.Security.Cryptography;
using System.Text;

namespace Mesh.Ingest.Intake;

/// <summary>
/// Keys and ids derived from what identifies an inbound message (format, sending facility, control id or resource
/// id), hashed so that they are safe as state keys and event ids whatever the sender put in them.
/// </summary>
public static class IntakeKeys
{
    /// <summary>The hex SHA-256 prefix of the parts, joined unambiguously.</summary>
    public static string Of(params string[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001F', parts))))[..32];

    /// <summary>
    /// The id of the <paramref name="index"/>th canonical event of a message: the same for a resend or a replay, so
    /// consumers (the workflows app's intake) recognise a copy.
    /// </summary>
    public static string EventId(string messageKey, int index) => $"ingest.{messageKey}.{index + 1}";

    /// <summary>A new receipt id: sortable by arrival, valid as an AIP resource id.</summary>
    public static string NewReceipt(DateTimeOffset now) =>
        $"{now.UtcDateTime:yyyyMMddHHmmssfff}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5))}";
}
