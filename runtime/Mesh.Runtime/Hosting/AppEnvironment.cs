using Mesh.Runtime.Configuration;
using Mesh.Runtime.Security;
using Mesh.Runtime.Sidecar;

namespace Mesh.Runtime.Hosting;

/// <summary>The environment an app process gets, as the Dapr CLI gives it (dapr/cli pkg/standalone/run.go).</summary>
internal static class AppEnvironment
{
    /// <summary>
    /// The Dapr variables of <see cref="DaprAppEnvironment"/>, DAPR_METRICS_PORT as the Dapr CLI sets it, DAPR_API_TOKEN
    /// and APP_API_TOKEN of <paramref name="tokens"/>, then the app's env, which wins.
    /// </summary>
    public static IReadOnlyDictionary<string, string> For(AppSpec app, int daprHttpPort, int daprGrpcPort, int metricsPort, ApiTokens? tokens = null)
    {
        var environment = DaprAppEnvironment.For(new AppEndpoint(app.AppId, app.AppChannelAddress, app.AppPort, app.AppProtocol), daprHttpPort, daprGrpcPort);
        if (tokens is not null)
        {
            environment[ApiTokens.DaprApiTokenVariable] = tokens.DaprApiToken;
            environment[ApiTokens.AppApiTokenVariable] = tokens.AppApiToken;
        }

        environment["DAPR_METRICS_PORT"] = metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (name, value) in app.Env)
        {
            environment[name] = value;
        }

        return environment;
    }
}
