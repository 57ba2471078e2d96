using YamlDotNet.RepresentationModel;

namespace Mesh.Runtime.Configuration;

/// <summary>
/// Reads the security sections of a Dapr Configuration: <c>accessControl</c> (service invocation access control) and
/// <c>secrets</c> (secret scopes), with daprd's field names and defaults. Where daprd quietly treats a value it does not
/// know as "deny" (an action other than allow, a lower-case HTTP verb that never matches), Mesh refuses it at its
/// file:line:column, so a policy always means what it reads as.
/// </summary>
internal static class SecuritySections
{
    private static readonly string[] AccessControlFields = ["defaultAction", "trustDomain", "policies"];
    private static readonly string[] PolicyFields = ["appId", "defaultAction", "trustDomain", "namespace", "operations"];
    private static readonly string[] OperationFields = ["name", "httpVerb", "action"];
    private static readonly string[] SecretsFields = ["scopes"];
    private static readonly string[] ScopeFields = ["storeName", "defaultAccess", "allowedSecrets", "deniedSecrets"];

    // The names daprd compares a policy's verbs with (commonv1pb.HTTPExtension_Verb), and the wildcard.
    private static readonly string[] HttpVerbs = ["*", "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

    /// <summary>
    /// spec.accessControl. As self-hosted daprd reads its file onto <c>defaultAction: allow</c> and
    /// <c>trustDomain: public</c>, a section without them keeps those values (in Kubernetes, policies without a global
    /// default action mean deny: give it explicitly).
    /// </summary>
    public static AccessControlSpec ReadAccessControl(YamlMap section)
    {
        section.Check(AccessControlFields);
        var policies = new List<AppPolicySpec>();
        var seen = new HashSet<(string, string)>();
        foreach (var (node, path) in section.Items("policies") ?? [])
        {
            var policy = YamlMap.Of(section.File, node, node, path);
            policy.Check(PolicyFields);
            var appId = policy.RequiredText("appId");
            var read = new AppPolicySpec(
                appId,
                Action(policy, "defaultAction", required: false),
                policy.RequiredText("trustDomain"),
                policy.RequiredText("namespace"),
                [.. (policy.Items("operations") ?? []).Select(item => ReadOperation(YamlMap.Of(section.File, item.Node, item.Node, item.Path)))]);
            if (!seen.Add((read.AppId, read.Namespace)))
            {
                throw policy.Error("appId", $"a policy for app '{appId}' in namespace '{read.Namespace}' is already given; daprd would keep only the last one");
            }

            policies.Add(read);
        }

        return new AccessControlSpec(
            Action(section, "defaultAction", required: false) ?? "allow",
            section.Text("trustDomain") is { Length: > 0 } trustDomain ? trustDomain : AccessControlSpec.DefaultTrustDomain,
            policies);
    }

    /// <summary>spec.secrets: the scopes, each store named once.</summary>
    public static IReadOnlyList<SecretsScope> ReadSecrets(YamlMap section)
    {
        section.Check(SecretsFields);
        var scopes = new List<SecretsScope>();
        foreach (var (node, path) in section.Items("scopes") ?? [])
        {
            var scope = YamlMap.Of(section.File, node, node, path);
            scope.Check(ScopeFields);
            var storeName = scope.RequiredText("storeName");
            if (scopes.Any(s => s.StoreName == storeName))
            {
                throw scope.Error("storeName", $"{storeName} storeName is repeated in secrets configuration");
            }

            var access = scope.Text("defaultAccess") ?? "allow";
            if (!IsAction(access))
            {
                throw scope.Error("defaultAccess", $"defaultAccess {access} can be either allow or deny");
            }

            scopes.Add(new SecretsScope(
                storeName,
                access.ToLowerInvariant(),
                [.. scope.TextList("allowedSecrets", "allowedSecrets: [\"redis-password\"]").Select(s => s.Value)],
                [.. scope.TextList("deniedSecrets", "deniedSecrets: [\"signing-key\"]").Select(s => s.Value)]));
        }

        return scopes;
    }

    private static AppOperationSpec ReadOperation(YamlMap operation)
    {
        operation.Check(OperationFields);
        var verbs = operation.TextList("httpVerb", "httpVerb: [\"GET\", \"POST\"]");
        foreach (var verb in verbs.Where(v => !HttpVerbs.Contains(v.Value, StringComparer.Ordinal)))
        {
            var hint = HttpVerbs.Contains(verb.Value.ToUpperInvariant(), StringComparer.Ordinal) ? $"; write {verb.Value.ToUpperInvariant()}, as daprd compares verbs in upper case" : "";
            throw operation.File.Error(verb.Node, $"{verb.Path}: '{verb.Value}' is not an HTTP verb ({string.Join(", ", HttpVerbs)}){hint}");
        }

        return new AppOperationSpec(operation.RequiredText("name"), [.. verbs.Select(v => v.Value)], Action(operation, "action", required: true)!);
    }

    private static string? Action(YamlMap map, string key, bool required)
    {
        var text = required ? map.RequiredText(key) : map.Text(key);
        return text is null ? null
            : IsAction(text) ? text.ToLowerInvariant()
            : throw map.Error(key, $"'{text}' is not allow or deny");
    }

    private static bool IsAction(string text) =>
        string.Equals(text, "allow", StringComparison.OrdinalIgnoreCase) || string.Equals(text, "deny", StringComparison.OrdinalIgnoreCase);
}
