using Mesh.Runtime.Configuration;

namespace Mesh.Cli;

/// <summary>The environment an app process gets, as the Dapr CLI gives it (dapr/cli pkg/standalone/run.go).</summary>
internal static class AppEnvironment
{
    /// <summary>
    /// APP_ID, APP_CHANNEL_ADDRESS, APP_PORT (when the app has one), APP_PROTOCOL, DAPR_HTTP_PORT,
    /// DAPR_GRPC_PORT and DAPR_METRICS_PORT as the Dapr CLI sets them, DAPR_HTTP_ENDPOINT and
    /// DAPR_GRPC_ENDPOINT (which the Dapr CLI leaves to the SDK's defaults), then the app's env, which wins.
    /// </summary>
    public static IReadOnlyDictionary<string, string> For(AppSpec app, int daprHttpPort, int daprGrpcPort, int metricsPort)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["APP_ID"] = app.AppId,
            ["APP_CHANNEL_ADDRESS"] = app.AppChannelAddress,
            ["APP_PROTOCOL"] = app.AppProtocol,
            ["DAPR_HTTP_PORT"] = daprHttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DAPR_GRPC_PORT"] = daprGrpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DAPR_METRICS_PORT"] = metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["DAPR_HTTP_ENDPOINT"] = $"http://127.0.0.1:{daprHttpPort}",
            ["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{daprGrpcPort}",
        };
        if (app.AppPort > 0)
        {
            environment["APP_PORT"] = app.AppPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var (name, value) in app.Env)
        {
            environment[name] = value;
        }

        return environment;
    }
}
