using Mesh.Runtime.Configuration;

namespace Mesh.Runtime.Tests.Configuration;

/// <summary>The accessControl and secrets sections of a Dapr Configuration, read with daprd's names and self-hosted defaults.</summary>
public sealed class SecuritySectionsTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void Load_AccessControl_ReadsPoliciesAndOperationsWithDaprsNames()
    {
        var path = folder.Write("config.yaml", Configuration("""
              accessControl:
                defaultAction: deny
                trustDomain: hospital
                policies:
                  - appId: workflows
                    defaultAction: deny
                    trustDomain: public
                    namespace: default
                    operations:
                      - name: /mesh.inventory.v1.InventoryService/*
                        action: allow
                      - name: /v1/balances/**
                        httpVerb: [GET, "*"]
                        action: Allow
            """));

        var spec = DaprConfigurationLoader.Load(path).AccessControl;

        Assert.NotNull(spec);
        Assert.Equal(("deny", "hospital"), (spec.DefaultAction, spec.TrustDomain));
        var policy = Assert.Single(spec.Policies);
        Assert.Equal(("workflows", "deny", "public", "default"), (policy.AppId, policy.DefaultAction, policy.TrustDomain, policy.Namespace));
        Assert.Equal(
            [("/mesh.inventory.v1.InventoryService/*", "", "allow"), ("/v1/balances/**", "GET,*", "allow")],
            policy.Operations.Select(o => (o.Name, string.Join(',', o.HttpVerbs), o.Action)));
    }

    [Fact]
    public void Load_AccessControlWithoutDefaultAction_KeepsSelfHostedDefaultsAllowAndPublic()
    {
        var path = folder.Write("config.yaml", Configuration("""
              accessControl:
                policies:
                  - appId: billing
                    trustDomain: public
                    namespace: default
            """));

        var spec = DaprConfigurationLoader.Load(path).AccessControl!;

        Assert.Equal(("allow", "public", null), (spec.DefaultAction, spec.TrustDomain, spec.Policies[0].DefaultAction));
    }

    [Fact]
    public void Load_NoAccessControl_IsNull()
    {
        var path = folder.Write("config.yaml", Configuration("  workflow:\n    maxConcurrentWorkflowInvocations: 2\n"));

        Assert.Null(DaprConfigurationLoader.Load(path).AccessControl);
    }

    [Theory]
    [InlineData("      - appId: a\n        namespace: default\n", "9:9: spec.accessControl.policies[0].trustDomain is required")]
    [InlineData("      - appId: a\n        trustDomain: public\n", "9:9: spec.accessControl.policies[0].namespace is required")]
    [InlineData("      - trustDomain: public\n        namespace: default\n", "9:9: spec.accessControl.policies[0].appId is required")]
    [InlineData("      - appId: a\n        trustDomain: public\n        namespace: default\n        defaultAction: deni\n", "12:24: spec.accessControl.policies[0].defaultAction: 'deni' is not allow or deny")]
    [InlineData("      - appId: a\n        trustDomain: public\n        namespace: default\n        operations:\n          - name: /x\n", "13:13: spec.accessControl.policies[0].operations[0].action is required")]
    [InlineData("      - appId: a\n        trustDomain: public\n        namespace: default\n        operations:\n          - name: /x\n            httpVerb: [get]\n            action: allow\n", "14:24: spec.accessControl.policies[0].operations[0].httpVerb[0]: 'get' is not an HTTP verb (*, GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH); write GET, as daprd compares verbs in upper case")]
    [InlineData("      - appId: a\n        trustDomain: public\n        namespace: default\n      - appId: a\n        trustDomain: other\n        namespace: default\n", "12:16: spec.accessControl.policies[1].appId: a policy for app 'a' in namespace 'default' is already given; daprd would keep only the last one")]
    public void Load_BadPolicy_IsRefusedAtTheField(string policies, string message)
    {
        var path = folder.Write("config.yaml", Configuration("  accessControl:\n    defaultAction: deny\n    policies:\n" + policies));

        var error = Assert.Throws<ConfigurationException>(() => DaprConfigurationLoader.Load(path));

        Assert.Equal($"{path}:{message}", error.Message);
    }

    [Fact]
    public void Load_SecretScopes_ReadsEachStoresLists()
    {
        var path = folder.Write("config.yaml", Configuration("""
              secrets:
                scopes:
                  - storeName: vault
                    defaultAccess: deny
                    allowedSecrets: ["redis-password"]
                  - storeName: localsecretstore
                    deniedSecrets: [signing-key]
            """));

        var scopes = DaprConfigurationLoader.Load(path).SecretScopes;

        Assert.Equal(
            [("vault", "deny", "redis-password", ""), ("localsecretstore", "allow", "", "signing-key")],
            scopes.Select(s => (s.StoreName, s.DefaultAccess, string.Join(',', s.AllowedSecrets), string.Join(',', s.DeniedSecrets))));
    }

    [Theory]
    [InlineData("      - storeName: a\n        defaultAccess: maybe\n", "9:24: spec.secrets.scopes[0].defaultAccess: defaultAccess maybe can be either allow or deny")]
    [InlineData("      - storeName: a\n      - storeName: a\n", "9:20: spec.secrets.scopes[1].storeName: a storeName is repeated in secrets configuration")]
    [InlineData("      - defaultAccess: deny\n", "8:9: spec.secrets.scopes[0].storeName is required")]
    public void Load_BadSecretScope_IsRefusedWithDaprsMessage(string scopes, string message)
    {
        var path = folder.Write("config.yaml", Configuration("  secrets:\n    scopes:\n" + scopes));

        var error = Assert.Throws<ConfigurationException>(() => DaprConfigurationLoader.Load(path));

        Assert.Equal($"{path}:{message}", error.Message);
    }

    [Theory]
    [InlineData("a", "", "deny", "a", true)]
    [InlineData("a", "a", "deny", "a", true)]
    [InlineData("a", "", "allow", "b", false)]
    [InlineData("", "b", "allow", "b", false)]
    [InlineData("", "b", "allow", "c", true)]
    [InlineData("", "", "deny", "c", false)]
    public void SecretsScope_Allows_AllowListDecidesAloneElseDenialElseDefault(string allowed, string denied, string defaultAccess, string secret, bool expected)
    {
        var scope = new SecretsScope("s", defaultAccess, allowed.Length == 0 ? [] : [allowed], denied.Length == 0 ? [] : [denied]);

        Assert.Equal(expected, scope.Allows(secret));
    }

    private static string Configuration(string spec) => $"""
        apiVersion: dapr.io/v1alpha1
        kind: Configuration
        metadata:
          name: appconfig
        spec:
        {spec}
        """;
}
