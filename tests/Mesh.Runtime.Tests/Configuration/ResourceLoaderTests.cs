using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;

namespace Mesh.Runtime.Tests.Configuration;

public sealed class ResourceLoaderTests : IDisposable
{
    private const string Header = "apiVersion: dapr.io/v1alpha1\nkind: Component\n";

    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void Load_RepositoryComponents_StateStorePubSubSecretsAndDeliveryRetry()
    {
        var components = Path.Combine(RunFileLoaderTests.RepositoryRoot(), "components");

        var (definitions, resiliency) = ResourceLoader.Load([components], "registry");
        var (ofWorkflows, _) = ResourceLoader.Load([components], "workflows");

        Assert.Equal(["pubsub", "localsecretstore", "statestore"], definitions.Select(d => d.Name));
        Assert.Equal(["patientstore", "pubsub", "localsecretstore", "statestore"], ofWorkflows.Select(d => d.Name));
        var pubsub = definitions[0];
        Assert.Equal(("pubsub.redis", "v1", Path.Combine(components, "pubsub.yaml")), (pubsub.Type, pubsub.Version, pubsub.SourceFile));
        Assert.Equal("127.0.0.1:6379", pubsub.Metadata["REDISHOST"]);
        Assert.Equal(("redis-password", "localsecretstore"), (pubsub.SecretRefs["redisPassword"].Name, pubsub.SecretStore));
        Assert.Equal("60s", pubsub.Metadata["processingTimeout"]);
        Assert.Equal("100000", pubsub.Metadata["maxLenApprox"]);
        Assert.Equal("secretstores.local.file", definitions[1].Type);
        Assert.Equal("true", definitions[2].Metadata["actorStateStore"]);
        // Encrypted for the apps that keep patient data themselves, not where the services write through an outbox store.
        Assert.False(definitions[2].SecretRefs.ContainsKey("primaryEncryptionKey"));
        Assert.Equal("state-encryption-key", ofWorkflows.Single(d => d.Name == "patientstore").SecretRefs["primaryEncryptionKey"].Name);
        var inbound = resiliency.ComponentInbound["pubsub"];
        Assert.Equal(new RetryPolicy("deliveryRetry", true, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(10), 8), inbound.Retry);
        Assert.Null(inbound.Timeout);
        Assert.Empty(resiliency.Apps);
    }

    [Fact]
    public void Load_ComponentWithoutName_NameIsRequiredAtMetadata()
    {
        var path = folder.Write("c/store.yaml", Header + "metadata:\n  namespace: default\nspec:\n  type: state.in-memory\n");

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.Equal($"{path}:3:1: metadata.name is required", error.Message);
    }

    [Fact]
    public void Load_ComponentWithoutMetadata_NameIsRequiredAtTheDocument()
    {
        var path = folder.Write("c/store.yaml", Header + "spec:\n  type: state.in-memory\n");

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.Equal($"{path}:1:1: metadata.name is required", error.Message);
    }

    [Fact]
    public void Load_ComponentWithoutType_TypeIsRequired()
    {
        var path = folder.Write("c/store.yaml", Header + "metadata:\n  name: store\nspec:\n  version: v1\n");

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.Equal($"{path}:5:1: spec.type is required", error.Message);
    }

    [Theory]
    [InlineData("spec:\n  typ: state.redis\n", "6:3: spec.typ: unknown field (did you mean type?)")]
    [InlineData("spec:\n  type: state.redis\nscope: [orders]\n", "7:1: scope: unknown field (did you mean scopes?)")]
    [InlineData("spec:\n  type: state.redis\n  metadata:\n    - name: redisHost\n      valu: x\n", "9:7: spec.metadata[0].valu: unknown field (did you mean value?)")]
    public void Load_UnknownField_NamesItWithASuggestion(string body, string expected)
    {
        var path = folder.Write("c/store.yaml", Header + "metadata:\n  name: store\n" + body);

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.Equal($"{path}:{expected}", error.Message);
    }

    [Fact]
    public void Load_SecretKeyRef_IsKeptForTheSecretStoreAndLeftOutOfTheValues()
    {
        var path = folder.Write("c/store.yaml", Header + """
            metadata:
              name: store
            spec:
              type: state.redis
              metadata:
                - name: redisHost
                  value: 127.0.0.1:6379
                - name: redisPassword
                  secretKeyRef:
                    name: redis
                    key: password
            auth:
              secretStore: localsecretstore
            """);

        var (definitions, _) = ResourceLoader.Load([folder.Path + "/c"], "orders");

        var store = Assert.Single(definitions);
        Assert.Equal(new SecretKeyRef("redis", "password", $"{path}:12:9"), store.SecretRefs["redisPassword"]);
        Assert.Equal(("localsecretstore", false), (store.SecretStore, store.Metadata.ContainsKey("redisPassword")));
    }

    [Fact]
    public void Load_SecretKeyRefWithoutAuthSecretStore_IsRefusedAtTheReference()
    {
        var path = folder.Write("c/store.yaml", Header + """
            metadata:
              name: store
            spec:
              type: state.redis
              metadata:
                - name: redisPassword
                  secretKeyRef:
                    name: redis
            """);

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.Equal($"{path}:9:7: spec.metadata[0].secretKeyRef: needs auth.secretStore naming the secret store to read it from", error.Message);
    }

    [Fact]
    public void Load_ValueAndSecretKeyRefOnOneItem_IsRefused()
    {
        var path = folder.Write("c/store.yaml", Header + """
            metadata:
              name: store
            spec:
              type: state.redis
              metadata:
                - name: redisPassword
                  value: plain
                  secretKeyRef: {name: redis}
            auth:
              secretStore: secrets
            """);

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.Equal($"{path}:10:7: spec.metadata[0].secretKeyRef: give one of value, envRef or secretKeyRef", error.Message);
    }

    [Theory]
    [InlineData("APP_API_TOKEN")]
    [InlineData("DAPR_API_TOKEN")]
    [InlineData("dapr_http_port")]
    public void Load_EnvRefToTheSidecarsTokens_IsRefused(string variable)
    {
        var path = folder.Write("c/store.yaml", Header + $"metadata:\n  name: store\nspec:\n  type: state.in-memory\n  metadata:\n    - name: token\n      envRef: {variable}\n");

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.Equal($"{path}:9:15: spec.metadata[0].envRef: '{variable}' may not be read by a component (APP_API_TOKEN and DAPR_* are the sidecar's own)", error.Message);
    }

    [Fact]
    public void Load_MetadataValues_AnyScalarBecomesTextAndEnvRefReadsTheEnvironment()
    {
        var variable = "MESH_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "from-env");
        try
        {
            folder.Write("c/store.yaml", Header + $$"""
                metadata:
                  name: store
                spec:
                  type: state.in-memory
                  metadata:
                    - name: number
                      value: 5
                    - name: flag
                      value: true
                    - name: quoted
                      value: "x: y"
                    - name: empty
                      value:
                    - name: fromEnv
                      envRef: {{variable}}
                """);

            var (definitions, _) = ResourceLoader.Load([folder.Path + "/c"], "orders");

            var metadata = Assert.Single(definitions).Metadata;
            Assert.Equal(("5", "true", "x: y", "", "from-env"), (metadata["number"], metadata["flag"], metadata["quoted"], metadata["empty"], metadata["fromEnv"]));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void Load_MetadataValueIsAList_IsRefused()
    {
        var path = folder.Write("c/store.yaml", Header + "metadata:\n  name: store\nspec:\n  type: state.in-memory\n  metadata:\n    - name: hosts\n      value: [a, b]\n");

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.Equal($"{path}:9:7: spec.metadata[0].value: expected a single value (text, number or true/false), found a list", error.Message);
    }

    [Fact]
    public void Load_Scopes_ComponentOnlyForTheAppsItNames()
    {
        folder.Write("c/store.yaml", Header + "metadata:\n  name: store\nspec:\n  type: state.in-memory\nscopes:\n  - orders\n");
        folder.Write("c/bus.yaml", Header + "metadata:\n  name: bus\nspec:\n  type: pubsub.in-memory\n");

        var (forOrders, _) = ResourceLoader.Load([folder.Path + "/c"], "orders");
        var (forBilling, _) = ResourceLoader.Load([folder.Path + "/c"], "billing");

        Assert.Equal(["bus", "store"], forOrders.Select(d => d.Name));
        Assert.Equal(["orders"], forOrders[1].Scopes);
        Assert.Equal(["bus"], forBilling.Select(d => d.Name));
    }

    [Fact]
    public void Load_DuplicateName_NamesBothDefinitions()
    {
        var first = folder.Write("a/store.yaml", Header + "metadata:\n  name: store\nspec:\n  type: state.in-memory\n");
        var second = folder.Write("b/store.yaml", Header + "metadata:\n  name: store\nspec:\n  type: state.redis\n");

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/a", folder.Path + "/b"], "orders"));

        Assert.Equal($"{second}:4:9: metadata.name: component 'store' is already defined at {first}:4:9", error.Message);
    }

    [Fact]
    public void Load_DuplicateNameOfAComponentOutOfScope_KeepsTheOneInScope()
    {
        folder.Write("a/store.yaml", Header + "metadata:\n  name: store\nspec:\n  type: state.redis\nscopes: [billing]\n");
        folder.Write("b/store.yaml", Header + "metadata:\n  name: store\nspec:\n  type: state.in-memory\n");

        var (definitions, _) = ResourceLoader.Load([folder.Path + "/a", folder.Path + "/b"], "orders");

        Assert.Equal("state.in-memory", Assert.Single(definitions).Type);
    }

    [Fact]
    public void Load_FoldersAndFiles_InOrderAndOtherKindsAndFilesIgnored()
    {
        folder.Write("a/z.yml", Header + "metadata:\n  name: z\nspec:\n  type: state.in-memory\n");
        folder.Write("a/b.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Configuration
            metadata:
              name: tracing
            spec:
              tracing:
                samplingRate: "1"
            ---
            apiVersion: dapr.io/v1alpha1
            kind: HTTPEndpoint
            metadata:
              name: partner
            spec:
              baseUrl: http://127.0.0.1:9000
            ---
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: b
            spec:
              type: pubsub.in-memory
            """);
        folder.Write("a/list.yaml", "- not\n- a resource\n");
        folder.Write("a/notes.txt", "kind: Component\n");
        folder.Write("c/a.yaml", Header + "metadata:\n  name: a\nspec:\n  type: state.in-memory\n");

        var (definitions, resiliency) = ResourceLoader.Load([folder.Path + "/a", folder.Path + "/c"], "orders");

        Assert.Equal(["b", "z", "a"], definitions.Select(d => d.Name));
        Assert.Same(ResiliencySpec.None, resiliency);
    }

    [Fact]
    public void Load_ComponentWithOtherApiVersion_IsRefused()
    {
        var path = folder.Write("c/store.yaml", "apiVersion: dapr.io/v1\nkind: Component\nmetadata:\n  name: store\n");

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.Equal($"{path}:1:13: apiVersion: 'dapr.io/v1' is not supported for kind Component; use dapr.io/v1alpha1", error.Message);
    }

    [Fact]
    public void Load_MissingFolder_IsRefused()
    {
        var missing = Path.Combine(folder.Path, "none");

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([missing], "orders"));

        Assert.Equal($"{missing}: resources folder does not exist", error.Message);
    }

    [Fact]
    public void Load_Resiliency_DaprDefaultsForMissingRetryFields()
    {
        folder.Write("c/resiliency.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata:
              name: policies
            spec:
              policies:
                timeouts:
                  quick: 1500
                  general: 10s
                retries:
                  plain: {}
                  backoff:
                    policy: Exponential
                    duration: 2s
                  bounded:
                    policy: constant
                    duration: 250ms
                    maxRetries: 3
                    matching:
                      httpStatusCodes: 500-599
                circuitBreakers:
                  breaker:
                    maxRequests: 1
                    interval: 30s
                    timeout: 45s
                    trip: consecutiveFailures >= 5
              targets:
                apps:
                  billing:
                    retry: bounded
                    timeout: quick
                    circuitBreaker: breaker
                components:
                  bus:
                    inbound:
                      retry: backoff
                    outbound:
                      retry: plain
                      timeout: general
            """);

        var (_, resiliency) = ResourceLoader.Load([folder.Path + "/c"], "orders");

        Assert.Equal(
            new TargetPolicies(
                new RetryPolicy("bounded", false, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(60), 3) { HttpStatusCodes = "500-599" },
                TimeSpan.FromMilliseconds(1500),
                new CircuitBreakerPolicy("breaker", 1, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(45), "consecutiveFailures >= 5")),
            resiliency.Apps["billing"]);
        Assert.Equal(
            new TargetPolicies(new RetryPolicy("backoff", true, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(60), -1), null),
            resiliency.ComponentInbound["bus"]);
        Assert.Equal(
            new TargetPolicies(new RetryPolicy("plain", false, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60), -1), TimeSpan.FromSeconds(10)),
            resiliency.ComponentOutbound["bus"]);
    }

    [Fact]
    public void Load_TargetNamesUnknownPolicy_NamesItAndTheDefinedOnes()
    {
        var path = folder.Write("c/resiliency.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata:
              name: policies
            spec:
              policies:
                retries:
                  deliveryRetry: {}
                  serviceRetry: {}
              targets:
                components:
                  pubsub:
                    inbound:
                      retry: deliveryRetri
            """);

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.Equal(
            $"{path}:14:18: spec.targets.components.pubsub.inbound.retry: no retry policy named 'deliveryRetri' (defined: deliveryRetry, serviceRetry)",
            error.Message);
    }

    [Fact]
    public void Load_TargetNamesPolicyOfAnotherFile_Resolves()
    {
        folder.Write("c/a-policies.yaml", "apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata:\n  name: policies\nspec:\n  policies:\n    timeouts:\n      slow: 1m\n");
        folder.Write("c/b-targets.yaml", "apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata:\n  name: targets\nspec:\n  targets:\n    apps:\n      billing:\n        timeout: slow\n");

        var (_, resiliency) = ResourceLoader.Load([folder.Path + "/c"], "orders");

        Assert.Equal(TimeSpan.FromMinutes(1), resiliency.Apps["billing"].Timeout);
    }

    [Fact]
    public void Load_UnknownCircuitBreakerName_IsRefused()
    {
        var path = folder.Write("c/resiliency.yaml", "apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata:\n  name: policies\nspec:\n  targets:\n    apps:\n      billing:\n        circuitBreaker: cb\n");

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.Equal($"{path}:9:25: spec.targets.apps.billing.circuitBreaker: no circuit breaker policy named 'cb' (none is defined)", error.Message);
    }

    [Theory]
    [InlineData("timeouts:\n      general: 10 seconds\n", "8:16: spec.policies.timeouts.general: '10 seconds' is not a duration")]
    [InlineData("retries:\n      r:\n        policy: linear\n", "9:17: spec.policies.retries.r.policy: 'linear' is not a retry policy (constant or exponential)")]
    [InlineData("retries:\n      r:\n        maxRetries: -2\n", "9:21: spec.policies.retries.r.maxRetries: '-2' is not a retry count (-1 for forever)")]
    [InlineData("retries:\n      r:\n        maxInterval: -1s\n", "9:22: spec.policies.retries.r.maxInterval: '-1s' is negative")]
    public void Load_BadPolicy_NamesLineColumnAndField(string policies, string expected)
    {
        var path = folder.Write("c/resiliency.yaml", "apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata:\n  name: policies\nspec:\n  policies:\n    " + policies);

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.StartsWith($"{path}:{expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DefaultPolicies_AppliedToComponentsWithoutTargetsOnly()
    {
        folder.Write("c/components.yaml", Header + "metadata:\n  name: store\nspec:\n  type: state.redis\n---\n"
            + Header + "metadata:\n  name: bus\nspec:\n  type: pubsub.redis\n---\n"
            + Header + "metadata:\n  name: named\nspec:\n  type: pubsub.redis\n");
        folder.Write("c/resiliency.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata:
              name: defaults
            spec:
              policies:
                timeouts:
                  DefaultTimeoutPolicy: 3s
                retries:
                  DefaultRetryPolicy:
                    maxRetries: 2
                  DefaultPubsubComponentInboundRetryPolicy:
                    policy: exponential
                  own: {}
              targets:
                components:
                  named:
                    inbound:
                      retry: own
            """);

        var (_, resiliency) = ResourceLoader.Load([folder.Path + "/c"], "orders");

        Assert.Equal("DefaultPubsubComponentInboundRetryPolicy", resiliency.ComponentInbound["bus"].Retry?.Name);
        Assert.Equal(TimeSpan.FromSeconds(3), resiliency.ComponentInbound["bus"].Timeout);
        Assert.Equal("DefaultRetryPolicy", resiliency.ComponentOutbound["bus"].Retry?.Name);
        Assert.Equal("DefaultRetryPolicy", resiliency.ComponentOutbound["store"].Retry?.Name);
        Assert.False(resiliency.ComponentInbound.ContainsKey("store"));
        Assert.Equal(new TargetPolicies(resiliency.ComponentInbound["named"].Retry, null), resiliency.ComponentInbound["named"]);
        Assert.Equal("own", resiliency.ComponentInbound["named"].Retry?.Name);
        Assert.Equal(new TargetPolicies(null, null), resiliency.ComponentOutbound["named"]);
    }

    [Fact]
    public void Load_ResiliencyScopedToAnotherApp_IsNotApplied()
    {
        folder.Write("c/resiliency.yaml", "apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata:\n  name: p\nscopes: [billing]\nspec:\n  policies:\n    timeouts:\n      t: 1s\n  targets:\n    apps:\n      orders:\n        timeout: t\n");

        var (_, forOrders) = ResourceLoader.Load([folder.Path + "/c"], "orders");
        var (_, forBilling) = ResourceLoader.Load([folder.Path + "/c"], "billing");

        Assert.Same(ResiliencySpec.None, forOrders);
        Assert.Equal(TimeSpan.FromSeconds(1), forBilling.Apps["orders"].Timeout);
    }
}
