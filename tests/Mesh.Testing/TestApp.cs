using Microsoft.AspNetCore.Hosting;

namespace Mesh.Testing;

/// <summary>
/// One app of a <see cref="TestMesh"/>: its app id and protocol, as dapr.yaml gives them, and how the test hosts it.
/// A host is handed the app's port and the configuration <c>mesh run</c> would give the app's process as environment
/// (APP_ID, DAPR_GRPC_ENDPOINT, ...), to which the app's test settings are added.
/// </summary>
public sealed class TestApp
{
    private TestApp(string appId, string protocol, Func<int, IReadOnlyDictionary<string, string?>, Task<IAsyncDisposable>>? start)
    {
        AppId = appId;
        Protocol = protocol;
        Start = start;
    }

    /// <summary>The app id.</summary>
    public string AppId { get; }

    /// <summary>"http" or "grpc".</summary>
    public string Protocol { get; }

    /// <summary>Starts the app on a port with its configuration; null for a client, which has a sidecar and no app.</summary>
    internal Func<int, IReadOnlyDictionary<string, string?>, Task<IAsyncDisposable>>? Start { get; }

    /// <summary>A sidecar without an app (no app port), through which a test calls the mesh.</summary>
    public static TestApp Client(string appId) => new(appId, "http", null);

    /// <summary>
    /// The app's real Program in this process (<see cref="InProcessApp{TEntryPoint}"/>), with <paramref name="settings"/>
    /// added to its configuration and <paramref name="configure"/> given its web host builder (e.g. a startup filter
    /// that observes requests).
    /// </summary>
    public static TestApp InProcess<TEntryPoint>(
        string appId, string protocol, IReadOnlyDictionary<string, string?>? settings = null, Action<IWebHostBuilder>? configure = null)
        where TEntryPoint : class =>
        new(appId, protocol, async (port, configuration) => await InProcessApp<TEntryPoint>.StartAsync(port, With(configuration, settings), configure));

    /// <summary>
    /// The app's built assembly as a real process (<see cref="ChildApp"/>), so a test can kill it; its configuration
    /// and <paramref name="settings"/> reach it as environment variables.
    /// </summary>
    public static TestApp Process(string appId, string protocol, string assembly, IReadOnlyDictionary<string, string?>? settings = null) =>
        new(appId, protocol, async (port, configuration) => await ChildApp.StartAsync(assembly, port, With(configuration, settings)));

    private static Dictionary<string, string?> With(IReadOnlyDictionary<string, string?> configuration, IReadOnlyDictionary<string, string?>? settings)
    {
        var all = new Dictionary<string, string?>(configuration);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return all;
    }
}
