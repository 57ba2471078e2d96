using Dapr.Client;
using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Intake;

/// <summary>An inbound message as it arrived.</summary>
/// <param name="Format">hl7v2, fhir or csv.</param>
/// <param name="Origin">Where it came from: the MLLP peer, the HTTP route, the inbox file name.</param>
/// <param name="ReceiveTime">When it arrived.</param>
/// <param name="Content">The bytes as received.</param>
/// <param name="ContentType">The media type it was sent as, when the transport says.</param>
public sealed record RawMessage(string Format, string Origin, DateTimeOffset ReceiveTime, byte[] Content, string ContentType = "");

/// <summary>
/// Every inbound message, stored through the Dapr state API before it is acknowledged, with a retention TTL
/// (<c>ttlInSeconds</c>). Raw messages hold PHI: they are protected at rest by the state store component's
/// encryption (<c>primaryEncryptionKey</c>), which this app does not implement itself.
/// </summary>
public sealed class RawArchive(DaprClient dapr, IOptions<IngestOptions> options, TimeProvider clock)
{
    /// <summary>The resource name of a stored message.</summary>
    public static string NameOf(string receipt) => $"messages/{receipt}";

    /// <summary>Stores the message and returns its receipt id.</summary>
    public async Task<string> StoreAsync(string format, string origin, ReadOnlyMemory<byte> content, string contentType, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var receipt = IntakeKeys.NewReceipt(now);
        await dapr.SaveStateAsync(options.Value.StateStore, Key(receipt), new RawMessage(format, origin, now, content.ToArray(), contentType), metadata: Retention(options.Value), cancellationToken: ct);
        return receipt;
    }

    /// <summary>The stored message, or null once it passed its retention.</summary>
    public Task<RawMessage?> GetAsync(string receipt, CancellationToken ct) =>
        dapr.GetStateAsync<RawMessage?>(options.Value.StateStore, Key(receipt), cancellationToken: ct);

    /// <summary>The state metadata that applies the raw-message retention.</summary>
    public static IReadOnlyDictionary<string, string> Retention(IngestOptions options) =>
        new Dictionary<string, string> { ["ttlInSeconds"] = ((long)options.RawRetention.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture) };

    private static string Key(string receipt) => $"raw:{receipt}";
}
