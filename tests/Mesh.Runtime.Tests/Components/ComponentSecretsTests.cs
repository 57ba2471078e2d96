using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Tests.Configuration;

namespace Mesh.Runtime.Tests.Components;

/// <summary>secretKeyRef in component files: read from the component's auth.secretStore as daprd reads them.</summary>
public sealed class ComponentSecretsTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task ResolveAsync_SecretKeyRefs_BecomeTheValuesOfTheAppsSecretStore()
    {
        folder.Write("app/secrets.json", """{"store": {"prefix": "shared"}, "state-key": "00112233445566778899aabbccddeeff"}""");
        var components = Load("""
            metadata:
              name: statestore
            spec:
              type: state.in-memory
              metadata:
                - name: keyPrefix
                  secretKeyRef: {name: "store:prefix"}
                - name: primaryEncryptionKey
                  secretKeyRef: {name: state-key, key: state-key}
            auth:
              secretStore: localsecretstore
            """);

        var resolved = await ComponentSecrets.ResolveAsync(components, Path.Combine(folder.Path, "app"), CancellationToken.None);

        var store = Assert.Single(resolved.Components, c => c.Name == "statestore");
        Assert.Equal(("shared", "00112233445566778899aabbccddeeff"), (store.Metadata["keyPrefix"], store.Metadata["primaryEncryptionKey"]));
        Assert.Equal(["localsecretstore"], resolved.SecretStores.Keys);
        Assert.IsType<EncryptedStateStore>(ComponentFactory.CreateStateStore(store));
    }

    [Fact]
    public async Task Validate_ResolvedValueBreaksAFieldsRule_RefusedAtTheItemWithoutShowingTheValue()
    {
        folder.Write("app/secrets.json", """{"ttl": "s3cr3t-not-a-number"}""");
        var components = Load("metadata:\n  name: cache\nspec:\n  type: state.in-memory\n  metadata:\n    - name: ttlInSeconds\n      secretKeyRef:\n        name: ttl\nauth:\n  secretStore: localsecretstore\n");
        var resolved = await ComponentSecrets.ResolveAsync(components, Path.Combine(folder.Path, "app"), CancellationToken.None);

        var error = Assert.Throws<ComponentException>(() => ComponentFactory.Validate(Assert.Single(resolved.Components, c => c.Name == "cache")));

        Assert.EndsWith("b.yaml:8:13: component 'cache': spec.metadata.ttlInSeconds must be an integer, not the value of secret 'ttl'", error.Message);
        Assert.DoesNotContain("s3cr3t", error.Message);
    }

    [Fact]
    public async Task ResolveAsync_MissingSecret_IsRefusedAtTheReference()
    {
        folder.Write("app/secrets.json", "{}");
        var components = Load("metadata:\n  name: cache\nspec:\n  type: state.in-memory\n  metadata:\n    - name: redisPassword\n      secretKeyRef:\n        name: nope\nauth:\n  secretStore: localsecretstore\n");

        var error = await Assert.ThrowsAsync<ComponentException>(() => ComponentSecrets.ResolveAsync(components, Path.Combine(folder.Path, "app"), CancellationToken.None));

        Assert.Equal($"{folder.Path}/c/b.yaml:10:9: component 'cache': spec.metadata.redisPassword: secret 'nope' is not in secret store 'localsecretstore'", error.Message);
    }

    [Fact]
    public async Task ResolveAsync_MissingKeyOfAMultiValuedSecret_IsRefused()
    {
        folder.Write("app/secrets.json", """{"redis": {"user": "u"}}""");
        var components = Load("metadata:\n  name: cache\nspec:\n  type: state.in-memory\n  metadata:\n    - name: redisPassword\n      secretKeyRef: {name: redis, key: password}\nauth:\n  secretStore: localsecretstore\n", multiValued: true);

        var error = await Assert.ThrowsAsync<ComponentException>(() => ComponentSecrets.ResolveAsync(components, Path.Combine(folder.Path, "app"), CancellationToken.None));

        Assert.EndsWith("spec.metadata.redisPassword: secret 'redis' of secret store 'localsecretstore' has no key 'password'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_SecretStoreTheAppDoesNotSee_LeavesTheComponentOut()
    {
        folder.Write("secrets.json", "{}");
        var components = Load("metadata:\n  name: cache\nspec:\n  type: state.in-memory\n  metadata:\n    - name: redisPassword\n      secretKeyRef: {name: x}\nauth:\n  secretStore: vault\n");

        var resolved = await ComponentSecrets.ResolveAsync(components, folder.Path, CancellationToken.None);

        Assert.DoesNotContain(resolved.Components, c => c.Name == "cache");
        Assert.Equal([("cache", "vault")], resolved.Deferred.Select(d => (d.Component.Name, d.SecretStore)));
    }

    private IReadOnlyList<ComponentDefinition> Load(string component, bool multiValued = false)
    {
        folder.Write("c/a.yaml", $"""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: localsecretstore
            spec:
              type: secretstores.local.file
              metadata:
                - name: secretsFile
                  value: secrets.json
                - name: multiValued
                  value: "{(multiValued ? "true" : "false")}"
            """);
        folder.Write("c/b.yaml", "apiVersion: dapr.io/v1alpha1\nkind: Component\n" + component);
        return ResourceLoader.Load([Path.Combine(folder.Path, "c")], "orders").Components;
    }
}
