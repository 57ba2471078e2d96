using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Security;
using Mesh.Runtime.Sidecar;

namespace Mesh.Runtime.Hosting;

/// <summary>One app of a mesh with the resources its sidecar sees.</summary>
/// <param name="Spec">The app as a run file describes it.</param>
/// <param name="Components">The component definitions its sidecar sees.</param>
/// <param name="Resiliency">The resiliency policies its sidecar applies.</param>
/// <param name="Configuration">Its Dapr Configuration (the run file's configFilePath); null for Dapr's defaults.</param>
public sealed record MeshApp(AppSpec Spec, IReadOnlyList<ComponentDefinition> Components, ResiliencySpec Resiliency, DaprConfiguration? Configuration = null)
{
    /// <summary>The app's secret stores, by component name (its components' secrets are already read from them).</summary>
    public IReadOnlyDictionary<string, ISecretStore> SecretStores { get; init; } = new Dictionary<string, ISecretStore>();

    /// <summary>Its DAPR_API_TOKEN and APP_API_TOKEN; null for a sidecar without tokens, as daprd without the variables.</summary>
    public ApiTokens? Tokens { get; init; }

    /// <summary>The app's declarative subscriptions (Subscription resources).</summary>
    public IReadOnlyList<Mesh.Runtime.Sidecar.PubSub.Subscription> Subscriptions { get; init; } = [];

    /// <summary>The app id.</summary>
    public string AppId => Spec.AppId;

    /// <summary>Where the app listens, for its sidecar and every other one.</summary>
    public AppEndpoint Endpoint => new(Spec.AppId, Spec.AppChannelAddress, Spec.AppPort, Spec.AppProtocol);

    /// <summary>
    /// An app declared in code, as a run file entry giving only appID, appPort and appProtocol declares it: on
    /// 127.0.0.1, no command, sidecar ports picked when it starts. <paramref name="appPort"/> 0 is a client
    /// without an app channel. Like the resource loader, it sees only the components whose scopes include it.
    /// </summary>
    public static MeshApp Create(
        string appId,
        int appPort,
        string protocol,
        IReadOnlyList<ComponentDefinition> components,
        ResiliencySpec? resiliency = null,
        DaprConfiguration? configuration = null,
        string logLevel = "info") =>
        new(
            new AppSpec(appId, Environment.CurrentDirectory, appPort, protocol, "127.0.0.1", null, null, [], new Dictionary<string, string>(), [], null, false, logLevel),
            [.. components.Where(component => component.IsVisibleTo(appId))],
            resiliency ?? ResiliencySpec.None,
            configuration);

    /// <summary>The same app listening on another port.</summary>
    public MeshApp OnPort(int appPort) => this with { Spec = Spec with { AppPort = appPort } };
}
