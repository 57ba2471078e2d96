namespace Mesh.Runtime.Configuration;

/// <summary>
/// <c>spec.accessControl</c> of a Dapr Configuration (dapr/dapr <c>pkg/config/configuration.go</c>), with the defaults
/// a self-hosted daprd reads the file onto: <c>defaultAction: allow</c> and <c>trustDomain: public</c> unless given.
/// </summary>
/// <param name="DefaultAction">"allow" or "deny": what applies to callers no policy decides for.</param>
/// <param name="TrustDomain">The trust domain of this app's own identity (its callers see it in its SPIFFE id).</param>
/// <param name="Policies">Per calling app (and namespace): its default action and per-operation actions.</param>
public sealed record AccessControlSpec(string DefaultAction, string TrustDomain, IReadOnlyList<AppPolicySpec> Policies)
{
    /// <summary>Dapr's trust domain when none is given.</summary>
    public const string DefaultTrustDomain = "public";
}

/// <summary>One entry of <c>accessControl.policies</c>: what the app <paramref name="AppId"/> may call.</summary>
/// <param name="AppId">The calling app's id.</param>
/// <param name="DefaultAction">"allow", "deny", or null to keep the global default action.</param>
/// <param name="TrustDomain">The calling app's trust domain.</param>
/// <param name="Namespace">The calling app's namespace ("default" when self-hosted).</param>
/// <param name="Operations">Operations with their own action.</param>
public sealed record AppPolicySpec(string AppId, string? DefaultAction, string TrustDomain, string Namespace, IReadOnlyList<AppOperationSpec> Operations);

/// <summary>One entry of a policy's <c>operations</c>.</summary>
/// <param name="Name">The operation: a gRPC method (<c>/pkg.Service/Method</c>) or an HTTP path, with <c>*</c> and <c>**</c> wildcards.</param>
/// <param name="HttpVerbs">The HTTP verbs it applies to (<c>GET</c>, ..., or <c>*</c>); used for apps reached over HTTP.</param>
/// <param name="Action">"allow" or "deny".</param>
public sealed record AppOperationSpec(string Name, IReadOnlyList<string> HttpVerbs, string Action);

/// <summary>
/// One entry of <c>spec.secrets.scopes</c>: which secrets of a secret store the app may read through the Secrets API
/// (never what a component's <c>secretKeyRef</c> may use).
/// </summary>
/// <param name="StoreName">The secret store component.</param>
/// <param name="DefaultAccess">"allow" or "deny" for secrets neither list names.</param>
/// <param name="AllowedSecrets">When not empty, exactly the secrets that may be read.</param>
/// <param name="DeniedSecrets">Secrets that may not be read (when no allow list is given).</param>
public sealed record SecretsScope(string StoreName, string DefaultAccess, IReadOnlyList<string> AllowedSecrets, IReadOnlyList<string> DeniedSecrets)
{
    /// <summary>daprd's rule (<c>SecretsScope.IsSecretAllowed</c>): a non-empty allow list decides alone, else a denial wins, else the default.</summary>
    public bool Allows(string secret) =>
        AllowedSecrets.Count > 0 ? AllowedSecrets.Contains(secret, StringComparer.Ordinal)
        : !DeniedSecrets.Contains(secret, StringComparer.Ordinal) && !string.Equals(DefaultAccess, "deny", StringComparison.OrdinalIgnoreCase);
}
