using System.Globalization;
using System.Text.Json;

namespace Mesh.Runtime.Components;

/// <summary>
/// <c>secretstores.local.file</c> (components-contrib secretstores/local/file): secrets from a JSON file, read once when
/// the component starts. By default nested objects and arrays are flattened into single-valued secrets named by their
/// path (<c>nestedSeparator</c>, ":" by default: <c>{"redis": {"password": "x"}}</c> is the secret <c>redis:password</c>);
/// with <c>multiValued: true</c> each top-level key is a secret and the levels below it become its keys. A relative
/// <c>secretsFile</c> is read from the folder daprd would run in: the app's folder (its appDirPath).
/// </summary>
/// <remarks>
/// daprd formats a non-string JSON leaf with Go's <c>%s</c> (a number 42 becomes "%!s(float64=42)"), and keeps one of
/// two entries that flatten to the same name at random; Mesh gives the same text for such leaves and refuses the clash.
/// </remarks>
public sealed class LocalFileSecretStore : ISecretStore
{
    /// <summary>The component type.</summary>
    public const string ComponentType = "secretstores.local.file";

    private readonly Dictionary<string, object> secrets;

    /// <summary>Reads the component's file.</summary>
    /// <param name="definition">The component.</param>
    /// <param name="baseDirectory">The folder a relative secretsFile is read from (the app's folder).</param>
    /// <exception cref="ComponentException">Missing metadata, or a missing or malformed file.</exception>
    public LocalFileSecretStore(ComponentDefinition definition, string baseDirectory)
    {
        var (path, separator, multiValued) = Parse(definition, baseDirectory);
        using var document = Read(definition, path);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new ComponentException($"{definition.SourceFile}: component '{definition.Name}': {path} must hold a JSON object of secrets");
        }

        secrets = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (!multiValued)
            {
                Flatten(definition, secrets, property.Name, property.Value, separator);
            }
            else if (property.Value.ValueKind == JsonValueKind.String)
            {
                secrets[property.Name] = property.Value.GetString()!;
            }
            else if (property.Value.ValueKind == JsonValueKind.Object)
            {
                var keys = new Dictionary<string, object>(StringComparer.Ordinal);
                foreach (var nested in property.Value.EnumerateObject())
                {
                    Flatten(definition, keys, nested.Name, nested.Value, separator);
                }

                secrets[property.Name] = keys.ToDictionary(k => k.Key, k => (string)k.Value, StringComparer.Ordinal);
            }

            // A top-level number, boolean, null or array is not a secret in multi-valued mode (daprd skips it too).
        }
    }

    /// <summary>The file a definition names, resolved against <paramref name="baseDirectory"/>, and where it is.</summary>
    public static string SecretsFile(ComponentDefinition definition, string baseDirectory) => Parse(definition, baseDirectory).Path;

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, string>> GetSecretAsync(string name, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) =>
        Task.FromResult(secrets.TryGetValue(name, out var secret) ? ValueOf(name, secret) : throw new SecretNotFoundException(name));

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> BulkGetSecretAsync(IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>>(
            secrets.ToDictionary(s => s.Key, s => ValueOf(s.Key, s.Value), StringComparer.Ordinal));

    internal static (string Path, string Separator, bool MultiValued) Parse(ComponentDefinition definition, string baseDirectory)
    {
        var metadata = new ComponentMetadata(definition);
        var file = metadata.Optional("secretsFile") ?? throw metadata.Invalid("secretsFile", "is required: missing local secrets file in metadata");
        var separator = definition.Metadata.TryGetValue("nestedSeparator", out var given) && given.Length > 0 ? given : ":";
        return (Path.GetFullPath(file, baseDirectory), separator, metadata.Bool("multiValued", false));
    }

    private static IReadOnlyDictionary<string, string> ValueOf(string name, object secret) =>
        secret as IReadOnlyDictionary<string, string> ?? new Dictionary<string, string>(StringComparer.Ordinal) { [name] = (string)secret };

    private static JsonDocument Read(ComponentDefinition definition, string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ComponentException($"{definition.SourceFile}: component '{definition.Name}': spec.metadata.secretsFile: {path} does not exist");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ComponentException($"{definition.SourceFile}: component '{definition.Name}': spec.metadata.secretsFile: cannot read {path}: {e.Message}");
        }
        catch (JsonException e)
        {
            // The parser's message names a line and position, never a value.
            throw new ComponentException($"{definition.SourceFile}: component '{definition.Name}': {path} is not valid JSON: {e.Message}");
        }
    }

    // Objects and arrays become one secret per leaf, named by the path to it (array items by their index).
    private static void Flatten(ComponentDefinition definition, Dictionary<string, object> into, string path, JsonElement value, string separator)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    Flatten(definition, into, path + separator + property.Name, property.Value, separator);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    Flatten(definition, into, path + separator + index++.ToString(CultureInfo.InvariantCulture), item, separator);
                }

                break;
            default:
                if (!into.TryAdd(path, GoText(value)))
                {
                    throw new ComponentException($"{definition.SourceFile}: component '{definition.Name}': two entries of the secrets file flatten to the secret '{path}'");
                }

                break;
        }
    }

    // What Go's fmt "%s" makes of a decoded JSON leaf.
    private static string GoText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.True => "%!s(bool=true)",
        JsonValueKind.False => "%!s(bool=false)",
        JsonValueKind.Null => "%!s(<nil>)",
        _ => $"%!s(float64={value.GetDouble().ToString("R", CultureInfo.InvariantCulture)})",
    };
}
