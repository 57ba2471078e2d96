using Grpc.Core;
using Mesh.Runtime.Components;

namespace Mesh.Runtime.Sidecar.Secrets;

/// <summary>
/// The Secrets API as daprd serves it (dapr/dapr <c>pkg/api/universal/secrets.go</c>): a secret of one of the app's
/// secret stores, or all of them, filtered by the app's Configuration <c>secrets.scopes</c>. Errors carry daprd's codes
/// and messages (<see cref="SecretsError"/>); the HTTP API maps them to daprd's statuses.
/// </summary>
public sealed class SecretsApi(SidecarSettings settings)
{
    /// <summary>A secret's keys and values.</summary>
    public async Task<IReadOnlyDictionary<string, string>> GetAsync(string storeName, string key, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var store = Store(storeName);
        if (!IsAllowed(storeName, key))
        {
            throw new SecretsError(StatusCode.PermissionDenied, 403, "ERR_PERMISSION_DENIED", $"access denied by policy to get \"{key}\" from \"{storeName}\"");
        }

        try
        {
            return await store.GetSecretAsync(key, metadata, cancellationToken);
        }
        catch (Exception e) when (e is SecretNotFoundException or IOException)
        {
            throw new SecretsError(StatusCode.Internal, 500, "ERR_SECRET_GET", $"failed getting secret with key {key} from secret store {storeName}: {e.Message}");
        }
    }

    /// <summary>Every secret of the store the app may read; the others are left out.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> BulkGetAsync(string storeName, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var store = Store(storeName);
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> all;
        try
        {
            all = await store.BulkGetSecretAsync(metadata, cancellationToken);
        }
        catch (IOException e)
        {
            throw new SecretsError(StatusCode.Internal, 500, "ERR_SECRET_GET", $"failed getting secrets from secret store {storeName}: {e.Message}");
        }

        return all.Where(secret => IsAllowed(storeName, secret.Key)).ToDictionary(secret => secret.Key, secret => secret.Value, StringComparer.Ordinal);
    }

    private ISecretStore Store(string name)
    {
        if (settings.SecretStores.Count == 0)
        {
            throw new SecretsError(StatusCode.FailedPrecondition, 500, "ERR_SECRET_STORES_NOT_CONFIGURED", "secret store is not configured");
        }

        return settings.SecretStores.TryGetValue(name, out var store)
            ? store
            : throw new SecretsError(StatusCode.InvalidArgument, 401, "ERR_SECRET_STORE_NOT_FOUND", $"failed finding secret store with key {name}");
    }

    // A store without a scope allows every secret.
    private bool IsAllowed(string storeName, string secret) =>
        settings.Configuration.SecretScopes.FirstOrDefault(s => s.StoreName == storeName) is not { } scope || scope.Allows(secret);
}

/// <summary>An error of the Secrets API: daprd's gRPC status, HTTP status and error code.</summary>
public sealed class SecretsError(StatusCode code, int httpStatus, string errorCode, string message) : RpcException(new Status(code, message))
{
    /// <summary>The HTTP status daprd answers.</summary>
    public int HttpStatus { get; } = httpStatus;

    /// <summary>daprd's error code, e.g. ERR_SECRET_STORE_NOT_FOUND.</summary>
    public string ErrorCode { get; } = errorCode;
}
