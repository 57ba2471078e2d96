using Grpc.Core;
using Mesh.Runtime.Security;

namespace Mesh.Runtime.Sidecar.Invocation;

/// <summary>
/// The callee's half of service invocation, which daprd runs in the callee's sidecar: the app's access control list
/// (its Configuration's <c>accessControl</c>) and its app channel, which carries APP_API_TOKEN. Each sidecar attaches
/// its own to the <see cref="AppDirectory"/>; a caller's sidecar hands every call for the app to it, with the caller's
/// identity, as daprd's sidecars do over mTLS.
/// </summary>
public sealed class InboundCalls(SidecarSettings settings, AppChannels channels)
{
    private readonly AccessControlList? acl = AccessControlList.For(settings.Configuration.AccessControl, IsHttpApp(settings.App));

    /// <summary>The app the calls go to.</summary>
    public AppEndpoint App => settings.App;

    /// <summary>The channel to the app, which sends APP_API_TOKEN on every call.</summary>
    public AppChannels Channels => channels;

    /// <summary>APP_API_TOKEN, which calls forwarded to the app carry in <c>dapr-api-token</c>; null for none.</summary>
    public string? AppApiToken => settings.AppApiToken;

    /// <summary>Whether daprd reaches the app over HTTP (http and h2c), which decides how its policies match.</summary>
    public bool IsHttp => IsHttpApp(settings.App);

    /// <summary>This app's identity when it calls others: its trust domain, namespace and app id.</summary>
    public static SpiffeId IdentityOf(SidecarSettings settings) =>
        new(settings.Configuration.AccessControl?.TrustDomain ?? Configuration.AccessControlSpec.DefaultTrustDomain, SpiffeId.CurrentNamespace, settings.App.AppId);

    /// <summary>
    /// Refuses a call the app's access control list denies with PERMISSION_DENIED and daprd's message.
    /// </summary>
    /// <param name="caller">The calling app; null when the call has no caller identity.</param>
    /// <param name="operation">The normalized method or path.</param>
    /// <param name="verb">The HTTP verb (upper case) of an HTTP call; null for gRPC.</param>
    /// <param name="isHttp">Whether the call is matched as HTTP (daprd: the app is reached over HTTP, except proxied gRPC).</param>
    public void Authorize(SpiffeId? caller, string operation, string? verb, bool isHttp)
    {
        if (acl?.Check(caller, operation, verb, isHttp) is (false, var denial))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, denial!));
        }
    }

    private static bool IsHttpApp(AppEndpoint app) => app.Protocol is "http" or "h2c";
}
