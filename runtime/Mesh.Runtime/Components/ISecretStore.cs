namespace Mesh.Runtime.Components;

/// <summary>
/// A secret store component (components-contrib <c>secretstores.SecretStore</c>): a secret is a map of keys to values;
/// a single-valued store answers a secret <c>x</c> as <c>{x: value}</c>.
/// </summary>
public interface ISecretStore
{
    /// <summary>The secret's keys and values.</summary>
    /// <exception cref="SecretNotFoundException">No secret of that name.</exception>
    Task<IReadOnlyDictionary<string, string>> GetSecretAsync(string name, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken);

    /// <summary>Every secret of the store, by name.</summary>
    Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> BulkGetSecretAsync(IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken);
}

/// <summary>A secret store has no secret of that name; the message is the component's own ("secret X not found").</summary>
public sealed class SecretNotFoundException(string name) : Exception($"secret {name} not found")
{
    /// <summary>The secret asked for.</summary>
    public string Name { get; } = name;
}
