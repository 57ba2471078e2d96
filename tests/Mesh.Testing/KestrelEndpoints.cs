using Microsoft.Extensions.Configuration;

namespace Mesh.Testing;

/// <summary>
/// An app's appsettings.json pins its Kestrel endpoint (127.0.0.1:5500 for charges), which beats --urls; a test moves
/// it to a port of its own with a setting of the same name, as a run file's env could.
/// </summary>
internal static class KestrelEndpoints
{
    /// <summary>The settings that move the one endpoint <paramref name="appConfiguration"/> declares to 127.0.0.1:<paramref name="port"/> (0: the OS picks).</summary>
    /// <exception cref="InvalidOperationException">The app declares several endpoints, which one port cannot serve.</exception>
    public static Dictionary<string, string?> MovedTo(IConfiguration appConfiguration, int port)
    {
        var names = appConfiguration.GetSection("Kestrel:Endpoints").GetChildren().Select(endpoint => endpoint.Key).ToList();
        if (names.Count > 1)
        {
            throw new InvalidOperationException($"the app declares {names.Count} Kestrel endpoints ({string.Join(", ", names)}); a test gives it one port");
        }

        return new Dictionary<string, string?> { [$"Kestrel:Endpoints:{names.SingleOrDefault() ?? "App"}:Url"] = $"http://127.0.0.1:{port}" };
    }

    /// <summary>Whether the app's endpoint speaks HTTP/2 only (a gRPC app), so a probe must too.</summary>
    public static bool Http2Only(IConfiguration appConfiguration) =>
        (appConfiguration.GetSection("Kestrel:Endpoints").GetChildren().Select(endpoint => endpoint["Protocols"]).FirstOrDefault()
            ?? appConfiguration["Kestrel:EndpointDefaults:Protocols"]) is "Http2";
}
