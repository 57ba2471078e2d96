namespace Mesh.Runtime.Security;

/// <summary>
/// An app's identity as daprd's mTLS certificates carry it, <c>spiffe://{trust domain}/ns/{namespace}/{app id}</c>.
/// daprd learns a caller's identity from the peer certificate; Mesh's sidecars run in one process and know the caller
/// in-process, so they behave as daprd does with mTLS on.
/// </summary>
/// <param name="TrustDomain">The caller's trust domain: its Configuration's <c>accessControl.trustDomain</c>, "public" by default.</param>
/// <param name="Namespace">The caller's namespace: NAMESPACE, "default" when unset (self-hosted daprd's rule).</param>
/// <param name="AppId">The caller's app id.</param>
public sealed record SpiffeId(string TrustDomain, string Namespace, string AppId)
{
    /// <summary>The namespace of the apps of this process, as self-hosted daprd reads it.</summary>
    public static string CurrentNamespace => Environment.GetEnvironmentVariable("NAMESPACE") is { Length: > 0 } ns ? ns : "default";

    /// <summary>The identity's URL, as daprd's denial messages show it.</summary>
    public string Url => $"spiffe://{TrustDomain}/ns/{Namespace}/{AppId}";
}
