namespace Mesh.Runtime.Components;

/// <summary>
/// A Dapr component file (<c>apiVersion: dapr.io/v1alpha1</c>, <c>kind: Component</c>) as read from disk.
/// </summary>
/// <param name="Name">metadata.name: the name apps use, e.g. "statestore".</param>
/// <param name="Type">spec.type, e.g. "state.redis", "pubsub.in-memory".</param>
/// <param name="Version">spec.version, e.g. "v1".</param>
/// <param name="Metadata">spec.metadata as name → value (case-insensitive names).</param>
/// <param name="Scopes">App ids allowed to use the component; empty means every app.</param>
/// <param name="SourceFile">The file it came from, for error messages.</param>
public sealed record ComponentDefinition(
    string Name,
    string Type,
    string Version,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<string> Scopes,
    string SourceFile)
{
    /// <summary>file:line:column of each spec.metadata item by name (case-insensitive), when read from a file.</summary>
    public IReadOnlyDictionary<string, string> MetadataLocations { get; init; } = new Dictionary<string, string>();

    /// <summary>True when the component is visible to the app.</summary>
    public bool IsVisibleTo(string appId) => Scopes.Count == 0 || Scopes.Contains(appId, StringComparer.Ordinal);

    /// <summary>
    /// spec.metadata items given as <c>secretKeyRef</c>, by metadata name: read from <see cref="SecretStore"/> when the
    /// component is resolved (<see cref="ComponentSecrets"/>), and absent from <see cref="Metadata"/> until then.
    /// </summary>
    public IReadOnlyDictionary<string, SecretKeyRef> SecretRefs { get; init; } = new Dictionary<string, SecretKeyRef>(StringComparer.OrdinalIgnoreCase);

    /// <summary>auth.secretStore: the secret store component the <see cref="SecretRefs"/> are read from.</summary>
    public string? SecretStore { get; init; }
}

/// <summary>A <c>secretKeyRef</c> of a component's metadata item.</summary>
/// <param name="Name">The secret's name.</param>
/// <param name="Key">The key within the secret; empty means the secret's name, as in Dapr.</param>
/// <param name="Where">file:line:column of the reference, for messages.</param>
public sealed record SecretKeyRef(string Name, string Key, string Where)
{
    /// <summary>The key read from the secret: <see cref="Key"/>, or <see cref="Name"/> when it is empty.</summary>
    public string EffectiveKey => Key.Length > 0 ? Key : Name;
}

/// <summary>A component file or metadata value is invalid; the message names the file and the field.</summary>
public sealed class ComponentException(string message) : Exception(message);
