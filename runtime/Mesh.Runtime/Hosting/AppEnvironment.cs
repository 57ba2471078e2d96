using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar;

namespace Mesh.Runtime.Hosting;

/// <summary>The environment an app process gets, as the Dapr CLI gives it (dapr/cli pkg/standalone/run.go).</summary>
internal static class AppEnvironment
{
    /// <summary>
    /// The Dapr variables of <see cref="DaprAppEnvironment"/>, DAPR_METRICS_PORT as the Dapr CLI sets it, then the
    /// app's env, which wins.
    /// </summary>
    public static IReadOnlyDictionary<string, string> For(AppSpec app, int daprHttpPort, int daprGrpcPort, int metricsPort)
    {
        var environment = DaprAppEnvironment.For(new AppEndpoint(app.AppId, app.AppChannelAddress, app.AppPort, app.AppProtocol), daprHttpPort, daprGrpcPort);
        environment["DAPR_METRICS_PORT"] = metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (name, value) in app.Env)
        {
            environment[name] = value;
        }

        return environment;
    }
}
