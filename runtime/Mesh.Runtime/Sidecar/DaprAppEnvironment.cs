using System.Globalization;

namespace Mesh.Runtime.Sidecar;

/// <summary>The Dapr part of an app process's environment, as the Dapr CLI gives it (dapr/cli pkg/standalone/run.go).</summary>
public static class DaprAppEnvironment
{
    /// <summary>
    /// APP_ID, APP_CHANNEL_ADDRESS, APP_PORT (when the app has one), APP_PROTOCOL, DAPR_HTTP_PORT and DAPR_GRPC_PORT
    /// as the Dapr CLI sets them, and DAPR_HTTP_ENDPOINT and DAPR_GRPC_ENDPOINT (which the Dapr CLI leaves to the
    /// SDK's defaults) for the sidecar on those ports.
    /// </summary>
    public static Dictionary<string, string> For(AppEndpoint app, int daprHttpPort, int daprGrpcPort)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["APP_ID"] = app.AppId,
            ["APP_CHANNEL_ADDRESS"] = app.Address,
            ["APP_PROTOCOL"] = app.Protocol,
            ["DAPR_HTTP_PORT"] = daprHttpPort.ToString(CultureInfo.InvariantCulture),
            ["DAPR_GRPC_PORT"] = daprGrpcPort.ToString(CultureInfo.InvariantCulture),
            ["DAPR_HTTP_ENDPOINT"] = $"http://127.0.0.1:{daprHttpPort}",
            ["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{daprGrpcPort}",
        };
        if (app.Port > 0)
        {
            environment["APP_PORT"] = app.Port.ToString(CultureInfo.InvariantCulture);
        }

        return environment;
    }
}
