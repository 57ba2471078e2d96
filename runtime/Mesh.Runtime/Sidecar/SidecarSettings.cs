using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar.Invocation;

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

/// <summary>
/// The apps of one <c>mesh run</c>, shared by every sidecar for service invocation: where each app listens, and the
/// callee side of its sidecar (<see cref="InboundCalls"/>), which a sidecar attaches when it starts.
/// </summary>
public sealed class AppDirectory
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, AppEndpoint> apps = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, InboundCalls> sidecars = new(StringComparer.Ordinal);

    /// <summary>Adds or replaces an app.</summary>
    public void Register(AppEndpoint app) => apps[app.AppId] = app;

    /// <summary>The app, or null when no app of that id runs here.</summary>
    public AppEndpoint? Find(string appId) => apps.GetValueOrDefault(appId);

    /// <summary>The callee side of the app's sidecar, or null while it has none running.</summary>
    public InboundCalls? SidecarOf(string appId) => sidecars.GetValueOrDefault(appId);

    /// <summary>Makes a sidecar the one that takes the calls for its app.</summary>
    internal void Attach(InboundCalls inbound) => sidecars[inbound.App.AppId] = inbound;

    /// <summary>Removes a sidecar that stops, unless another took its place meanwhile.</summary>
    internal void Detach(InboundCalls inbound) => sidecars.TryRemove(new KeyValuePair<string, InboundCalls>(inbound.App.AppId, inbound));
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

    /// <summary>The clock of the workflow engine (durable timers, a workflow's current time); null for <see cref="Time"/>.</summary>
    public TimeProvider? WorkflowClock { get; init; }

    /// <summary>The clock the workflow engine runs on.</summary>
    public TimeProvider WorkflowTime => WorkflowClock ?? Time;

    /// <summary>The secret stores the app sees, by component name (<see cref="ComponentSecrets"/> creates them).</summary>
    public IReadOnlyDictionary<string, ISecretStore> SecretStores { get; init; } = new Dictionary<string, ISecretStore>();

    /// <summary>
    /// DAPR_API_TOKEN: what every call to the sidecar's APIs must carry in <c>dapr-api-token</c>; null or empty leaves
    /// the APIs open, as daprd without the variable.
    /// </summary>
    public string? ApiToken { get; init; }

    /// <summary>APP_API_TOKEN: what the sidecar sends the app in <c>dapr-api-token</c> on every call; null sends none.</summary>
    public string? AppApiToken { get; init; }

    /// <summary>The app's declarative subscriptions (<c>kind: Subscription</c> resources), delivered with the ones the app declares.</summary>
    public IReadOnlyList<PubSub.Subscription> DeclaredSubscriptions { get; init; } = [];
}
