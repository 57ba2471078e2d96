using Mesh.Runtime.Configuration;

namespace Mesh.Runtime.Security;

/// <summary>
/// An app's service invocation access control, parsed and applied as daprd does (dapr/dapr <c>pkg/acl/acl.go</c>):
/// the callee's sidecar looks up the policy of the caller's app id and namespace; when there is none, or its trust
/// domain or namespace differ, the global default action applies; otherwise the policy's default action, overridden by
/// the first operation that matches: for an app reached over HTTP the action of the request's verb (or of <c>*</c>),
/// for a gRPC app the operation's action.
/// </summary>
public sealed class AccessControlList
{
    private readonly string defaultAction;
    private readonly Dictionary<(string AppId, string Namespace), Policy> policies = [];

    private AccessControlList(AccessControlSpec spec, bool isHttp)
    {
        defaultAction = spec.DefaultAction;
        TrustDomain = spec.TrustDomain;
        foreach (var policy in spec.Policies)
        {
            var operations = new OperationTrie<AppOperationSpec>();
            foreach (var operation in policy.Operations)
            {
                // daprd stores names with a leading '/', in lower case for apps reached over HTTP.
                var name = operation.Name.StartsWith('/') ? operation.Name : "/" + operation.Name;
                operations.Add(isHttp ? name.ToLowerInvariant() : name, operation);
            }

            policies[(policy.AppId, policy.Namespace)] = new Policy(policy, operations);
        }
    }

    /// <summary>This app's own trust domain, which its calls carry in their identity.</summary>
    public string TrustDomain { get; }

    /// <summary>
    /// The access control list of an app whose Configuration has <paramref name="spec"/>; null (everything allowed)
    /// without one. <paramref name="isHttp"/> is whether daprd reaches the app over HTTP (http and h2c): then its
    /// operation names are kept in lower case, also for gRPC calls proxied to it, which therefore match only
    /// lower-case patterns or wildcards, as in daprd.
    /// </summary>
    public static AccessControlList? For(AccessControlSpec? spec, bool isHttp) => spec is null ? null : new AccessControlList(spec, isHttp);

    /// <summary>
    /// Whether <paramref name="caller"/> may call <paramref name="operation"/> (already normalized) with
    /// <paramref name="verb"/> (null: none, as for gRPC); when not, daprd's message.
    /// </summary>
    /// <param name="caller">The calling app, or null when the call has no caller identity (the global default applies).</param>
    /// <param name="operation">The method or path, as the caller named it.</param>
    /// <param name="verb">The HTTP verb in upper case, or null.</param>
    /// <param name="isHttp">Whether the call is matched as an HTTP call (case-insensitive names, verbs).</param>
    public (bool Allowed, string? Denial) Check(SpiffeId? caller, string operation, string? verb, bool isHttp)
    {
        var allowed = IsAllow(Decide(caller, operation, verb, isHttp));
        return allowed ? (true, null) : (false, $"access control policy has denied access to id: {caller?.Url ?? ""} operation: {operation} verb: {verb ?? "NONE"}");
    }

    private string? Decide(SpiffeId? caller, string operation, string? verb, bool isHttp)
    {
        if (caller is null || !policies.TryGetValue((caller.AppId, caller.Namespace), out var policy)
            || policy.Spec.TrustDomain != caller.TrustDomain || policy.Spec.Namespace != caller.Namespace)
        {
            return defaultAction;
        }

        var action = policy.Spec.DefaultAction ?? defaultAction;
        var name = operation.StartsWith('/') ? operation : "/" + operation;
        if (policy.Operations.Search(isHttp ? name.ToLowerInvariant() : name) is not { } matched)
        {
            return action;
        }

        if (!isHttp)
        {
            return matched.Action;
        }

        if (verb is null)
        {
            // daprd's rule for an HTTP call without a verb: the policy's own default action, even when unset.
            return policy.Spec.DefaultAction;
        }

        return matched.HttpVerbs.Contains(verb, StringComparer.Ordinal) ? matched.Action
            : matched.HttpVerbs.Contains("*", StringComparer.Ordinal) ? matched.Action
            : action;
    }

    private static bool IsAllow(string? action) => string.Equals(action, "allow", StringComparison.OrdinalIgnoreCase);

    private sealed record Policy(AppPolicySpec Spec, OperationTrie<AppOperationSpec> Operations);
}
