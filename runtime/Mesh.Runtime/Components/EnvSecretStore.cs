namespace Mesh.Runtime.Components;

/// <summary>
/// <c>secretstores.local.env</c> (components-contrib secretstores/local/env): each secret is the environment variable of
/// its name, with the component's <c>prefix</c> in front (case-sensitive), read from the process that runs the sidecar,
/// as daprd reads its own. An unset variable is an empty secret, not an error. <c>APP_API_TOKEN</c> and every
/// <c>DAPR_*</c> variable are never given out.
/// </summary>
public sealed class EnvSecretStore(ComponentDefinition definition) : ISecretStore
{
    /// <summary>The component type.</summary>
    public const string ComponentType = "secretstores.local.env";

    private readonly string prefix = definition.Metadata.TryGetValue("prefix", out var given) ? given : "";

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, string>> GetSecretAsync(string name, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var variable = prefix + name;
        var value = IsAllowed(variable) ? Environment.GetEnvironmentVariable(variable) ?? "" : "";
        return Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>(StringComparer.Ordinal) { [name] = value });
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> BulkGetSecretAsync(IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var secrets = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            var key = (string)variable.Key;
            if (key.Length > prefix.Length && key.StartsWith(prefix, StringComparison.Ordinal) && IsAllowed(key))
            {
                var name = key[prefix.Length..];
                secrets[name] = new Dictionary<string, string>(StringComparer.Ordinal) { [name] = (string?)variable.Value ?? "" };
            }
        }

        return Task.FromResult<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>>(secrets);
    }

    /// <summary>daprd's rule for environment variables components may read: never the tokens of the sidecar and app.</summary>
    public static bool IsAllowed(string variable)
    {
        var upper = variable.ToUpperInvariant();
        return upper != "APP_API_TOKEN" && !upper.StartsWith("DAPR_", StringComparison.Ordinal);
    }
}
