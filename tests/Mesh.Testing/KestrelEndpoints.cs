using Mesh.Runtime.Configuration;
using Microsoft.Extensions.Configuration;

namespace Mesh.Testing;

/// <summary>
/// An app's appsettings.json pins its Kestrel endpoints (127.0.0.1:5500 for charges), which beat --urls; a test moves
/// them to ports of its own with settings of the same name, as a run file's env could.
/// </summary>
internal static class KestrelEndpoints
{
    private static readonly Lazy<RunFile> RunFile = new(() => RunFileLoader.Load(Path.Combine(Repository.Root, "dapr.yaml")));

    /// <summary>
    /// The settings that move the app's endpoint to 127.0.0.1:<paramref name="port"/>, and every other endpoint it
    /// declares (ingest's HTTP/1.1 listener, the gateway's partner listeners) to a port the OS picks, unless
    /// <paramref name="settings"/> place it. With several endpoints, the app's is the one on the appPort dapr.yaml
    /// gives the app id of <paramref name="settings"/> (APP_ID).
    /// </summary>
    /// <exception cref="InvalidOperationException">No endpoint is on the app's appPort.</exception>
    public static Dictionary<string, string?> MovedTo(IConfiguration appConfiguration, int port, IReadOnlyDictionary<string, string?> settings)
    {
        var endpoints = appConfiguration.GetSection("Kestrel:Endpoints").GetChildren().ToList();
        var app = endpoints.Count <= 1 ? endpoints.SingleOrDefault()?.Key ?? "App" : AppEndpoint(endpoints, settings);
        var moved = new Dictionary<string, string?> { [UrlKey(app)] = $"http://127.0.0.1:{port}" };
        foreach (var other in endpoints.Where(endpoint => endpoint.Key != app && !Placed(settings, UrlKey(endpoint.Key))))
        {
            moved[UrlKey(other.Key)] = "http://127.0.0.1:0";
        }

        return moved;
    }

    /// <summary>Whether the app's endpoint speaks HTTP/2 only (a gRPC app), so a probe must too.</summary>
    public static bool Http2Only(IConfiguration appConfiguration, IReadOnlyDictionary<string, string?> settings)
    {
        var endpoints = appConfiguration.GetSection("Kestrel:Endpoints").GetChildren().ToList();
        var app = endpoints.Count <= 1 ? endpoints.SingleOrDefault() : endpoints.Single(endpoint => endpoint.Key == AppEndpoint(endpoints, settings));
        return (app?["Protocols"] ?? appConfiguration["Kestrel:EndpointDefaults:Protocols"]) is "Http2";
    }

    private static string AppEndpoint(List<IConfigurationSection> endpoints, IReadOnlyDictionary<string, string?> settings)
    {
        var appId = settings.GetValueOrDefault("APP_ID") ?? throw new InvalidOperationException(
            $"the app declares {endpoints.Count} Kestrel endpoints ({string.Join(", ", endpoints.Select(e => e.Key))}); give it APP_ID, so dapr.yaml's appPort says which is the app's");
        var appPort = RunFile.Value.Apps.SingleOrDefault(a => a.AppId == appId)?.AppPort
            ?? throw new InvalidOperationException($"dapr.yaml declares no app '{appId}', whose appPort says which of its Kestrel endpoints is the app's");
        return endpoints.SingleOrDefault(endpoint => Uri.TryCreate(endpoint["Url"], UriKind.Absolute, out var url) && url.Port == appPort)?.Key
            ?? throw new InvalidOperationException($"no Kestrel endpoint of app '{appId}' is on its appPort {appPort} in dapr.yaml");
    }

    private static string UrlKey(string endpoint) => $"Kestrel:Endpoints:{endpoint}:Url";

    // Settings come with ':' (configuration) or '__' (environment) as the separator.
    private static bool Placed(IReadOnlyDictionary<string, string?> settings, string key) =>
        settings.ContainsKey(key) || settings.ContainsKey(key.Replace(":", "__", StringComparison.Ordinal));
}
