using System.Globalization;
using Mesh.Runtime.Security;

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

    /// <summary>
    /// <see cref="For(AppEndpoint, int, int)"/> for the app of <paramref name="settings"/>, with DAPR_API_TOKEN (what the
    /// app's calls to its sidecar carry) and APP_API_TOKEN (what the sidecar's calls to the app carry) when they are set:
    /// under the Dapr CLI both come from the environment daprd and the app share.
    /// </summary>
    public static Dictionary<string, string> For(SidecarSettings settings, int daprHttpPort, int daprGrpcPort)
    {
        var environment = For(settings.App, daprHttpPort, daprGrpcPort);
        if (!string.IsNullOrEmpty(settings.ApiToken))
        {
            environment[ApiTokens.DaprApiTokenVariable] = settings.ApiToken;
        }

        if (!string.IsNullOrEmpty(settings.AppApiToken))
        {
            environment[ApiTokens.AppApiTokenVariable] = settings.AppApiToken;
        }

        return environment;
    }
}
