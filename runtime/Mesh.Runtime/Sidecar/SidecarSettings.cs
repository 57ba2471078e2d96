using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;

namespace Mesh.Runtime.Sidecar;

/// <summary>Where an app listens, for service invocation and delivery.</summary>
/// <param name="AppId">The app id.</param>
/// <param name="Address">The app channel address, e.g. 127.0.0.1.</param>
/// <param name="Port">The app port; 0 when the app receives nothing.</param>
/// <param name="Protocol">"http", "h2c" (HTTP/2 without TLS) or "grpc".</param>
public sealed record AppEndpoint(string AppId, string Address, int Port, string Protocol)
{
    /// <summary>The app's base URI.</summary>
    public Uri BaseUri => new($"http://{Address}:{Port}");

    /// <summary>True when the app's port speaks HTTP/2 only (grpc and h2c apps).</summary>
    public bool UsesHttp2 => Protocol is "grpc" or "h2c";
}

/// <summary>The apps of one <c>mesh run</c>, shared by every sidecar for service invocation.</summary>
public sealed class AppDirectory
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, AppEndpoint> apps = new(StringComparer.Ordinal);

    /// <summary>Adds or replaces an app.</summary>
    public void Register(AppEndpoint app) => apps[app.AppId] = app;

    /// <summary>The app, or null when no app of that id runs here.</summary>
    public AppEndpoint? Find(string appId) => apps.GetValueOrDefault(appId);
}

/// <summary>What one sidecar serves.</summary>
/// <param name="App">The app this sidecar belongs to.</param>
/// <param name="HttpPort">The Dapr HTTP API port on 127.0.0.1; 0 picks a free one.</param>
/// <param name="GrpcPort">The Dapr gRPC API port on 127.0.0.1; 0 picks a free one.</param>
/// <param name="StateStores">State store components visible to the app, by component name.</param>
/// <param name="PubSubs">Pub/sub components visible to the app, by component name.</param>
/// <param name="Components">Every component definition visible to the app (for metadata and key prefixes).</param>
/// <param name="Resiliency">The resiliency policies visible to the app.</param>
/// <param name="Directory">The apps reachable by service invocation.</param>
/// <param name="Configuration">The app's Dapr Configuration (its <c>configFilePath</c>); null for Dapr's defaults.</param>
/// <param name="Clock">The clock of timers, retries, timeouts and timestamps; null for the system clock (tests pass a fake one).</param>
public sealed record SidecarSettings(
    AppEndpoint App,
    int HttpPort,
    int GrpcPort,
    IReadOnlyDictionary<string, IStateStore> StateStores,
    IReadOnlyDictionary<string, IPubSub> PubSubs,
    IReadOnlyList<ComponentDefinition> Components,
    ResiliencySpec Resiliency,
    AppDirectory Directory,
    DaprConfiguration? Configuration = null,
    TimeProvider? Clock = null)
{
    /// <summary>The app's Dapr Configuration, or Dapr's defaults.</summary>
    public DaprConfiguration Configuration { get; init; } = Configuration ?? DaprConfiguration.Default;

    /// <summary>The clock of the sidecar.</summary>
    public TimeProvider Time { get; init; } = Clock ?? TimeProvider.System;

    /// <summary>The app's declarative subscriptions (<c>kind: Subscription</c> resources), delivered with the ones the app declares.</summary>
    public IReadOnlyList<PubSub.Subscription> DeclaredSubscriptions { get; init; } = [];
}
