using Dapr;
using Dapr.Client;
using Grpc.Core;
using Microsoft.Extensions.Configuration;

namespace Mesh.Resources;

/// <summary>gRPC clients of other Dapr apps, called through this app's own sidecar (the dapr-app-id proxy).</summary>
public static class SidecarInvocation
{
    /// <summary>
    /// A call invoker that reaches <paramref name="appId"/>: the sidecar's endpoint and API token as the SDK finds
    /// them, configuration first (in-process test hosts, <c>mesh run</c>) and then the Dapr CLI's environment.
    /// </summary>
    public static CallInvoker For(IConfiguration configuration, string appId) =>
        DaprClient.CreateInvocationInvoker(appId, DaprDefaults.GetDefaultGrpcEndpoint(configuration), DaprDefaults.GetDefaultDaprApiToken(configuration));
}
