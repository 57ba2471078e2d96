namespace Mesh.Runtime.Components;

/// <summary>One app's components once their secrets are read.</summary>
/// <param name="Components">The components the app gets, with every secretKeyRef replaced by its value.</param>
/// <param name="SecretStores">The app's secret stores, by component name.</param>
/// <param name="Deferred">Components left out because their auth.secretStore is not a secret store the app sees.</param>
public sealed record ResolvedComponents(
    IReadOnlyList<ComponentDefinition> Components,
    IReadOnlyDictionary<string, ISecretStore> SecretStores,
    IReadOnlyList<(ComponentDefinition Component, string SecretStore)> Deferred);

/// <summary>
/// Reads the secrets components refer to, as daprd does when it loads them (dapr/dapr
/// <c>pkg/runtime/processor/secret</c>): the app's secret stores start first; each <c>secretKeyRef</c> asks the
/// component's <c>auth.secretStore</c> for the secret and takes its <c>key</c> (its name when no key is given). A
/// component whose secret store the app does not see waits for it in daprd, forever; Mesh leaves it out and says so.
/// Where daprd logs a secret it cannot read and goes on with an empty value, Mesh refuses to start.
/// </summary>
public static class ComponentSecrets
{
    /// <summary>Creates the app's secret stores and resolves every other component's references.</summary>
    /// <param name="components">The components the app sees, as loaded.</param>
    /// <param name="appDirectory">The app's folder, where daprd runs: relative secret files are read from there.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <exception cref="ComponentException">A secret store cannot start, or a reference names a missing secret or key.</exception>
    public static async Task<ResolvedComponents> ResolveAsync(IReadOnlyList<ComponentDefinition> components, string appDirectory, CancellationToken cancellationToken)
    {
        var stores = new Dictionary<string, ISecretStore>(StringComparer.Ordinal);
        foreach (var component in components.Where(c => ComponentFactory.IsSecretStore(c.Type)))
        {
            if (component.SecretRefs.Count > 0)
            {
                throw new ComponentException($"{component.SourceFile}: component '{component.Name}': a secret store cannot read its own metadata from a secret store");
            }

            stores[component.Name] = ComponentFactory.CreateSecretStore(component, appDirectory);
        }

        var resolved = new List<ComponentDefinition>();
        var deferred = new List<(ComponentDefinition, string)>();
        foreach (var component in components)
        {
            if (component.SecretRefs.Count == 0 || ComponentFactory.IsSecretStore(component.Type))
            {
                resolved.Add(component);
            }
            else if (stores.TryGetValue(component.SecretStore!, out var store))
            {
                resolved.Add(await ResolveAsync(component, store, cancellationToken));
            }
            else
            {
                deferred.Add((component, component.SecretStore!));
            }
        }

        return new ResolvedComponents(resolved, stores, deferred);
    }

    private static async Task<ComponentDefinition> ResolveAsync(ComponentDefinition component, ISecretStore store, CancellationToken cancellationToken)
    {
        var metadata = new Dictionary<string, string>(component.Metadata, StringComparer.OrdinalIgnoreCase);
        var secrets = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        var noMetadata = new Dictionary<string, string>();
        foreach (var (item, reference) in component.SecretRefs)
        {
            if (!secrets.TryGetValue(reference.Name, out var secret))
            {
                try
                {
                    secrets[reference.Name] = secret = await store.GetSecretAsync(reference.Name, noMetadata, cancellationToken);
                }
                catch (SecretNotFoundException)
                {
                    throw Invalid(component, item, reference, $"secret '{reference.Name}' is not in secret store '{component.SecretStore}'");
                }
            }

            // As in daprd, an empty secret leaves the item unset.
            metadata[item] = secret.TryGetValue(reference.EffectiveKey, out var value)
                ? value
                : throw Invalid(component, item, reference, $"secret '{reference.Name}' of secret store '{component.SecretStore}' has no key '{reference.EffectiveKey}'");
        }

        return component with { Metadata = metadata };
    }

    private static ComponentException Invalid(ComponentDefinition component, string item, SecretKeyRef reference, string problem) =>
        new($"{reference.Where}: component '{component.Name}': spec.metadata.{item}: {problem}");
}
