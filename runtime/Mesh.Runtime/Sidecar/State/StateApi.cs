using Grpc.Core;
using System.Collections.Concurrent;
using Mesh.Runtime.Components;
using Mesh.Runtime.Telemetry;

namespace Mesh.Runtime.Sidecar.State;

/// <summary>
/// The state building block as daprd exposes it: store lookup, Dapr's key prefix rules
/// (<c>keyPrefix</c> metadata), transactions through the store's outbox when it has one, and the mapping of store
/// errors to Dapr's gRPC codes.
/// </summary>
public sealed class StateApi(SidecarSettings settings, TransactionalOutbox outbox)
{
    private const string Separator = "||";
    private readonly ConcurrentDictionary<string, IStateStore> measured = new(StringComparer.Ordinal);

    /// <summary>The store, measured for this app (<see cref="MeasuredStateStore"/>), or INVALID_ARGUMENT as daprd answers for an unknown store name.</summary>
    public IStateStore Store(string name)
    {
        if (settings.StateStores.Count == 0)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "state store is not configured"));
        }

        return settings.StateStores.TryGetValue(name, out var store)
            ? measured.GetOrAdd(name, component => new MeasuredStateStore(store, settings.App.AppId, component))
            : throw new RpcException(new Status(StatusCode.InvalidArgument, $"state store {name} is not found"));
    }

    /// <summary>Whether the named store encrypts values (see <see cref="EncryptedStateStore"/>), whatever measures it.</summary>
    public bool Encrypts(string name) => settings.StateStores.TryGetValue(name, out var store) && store is EncryptedStateStore;

    /// <summary>The key as stored: prefixed per the store's <c>keyPrefix</c> (appid, name, namespace, none, or a literal).</summary>
    public string StoredKey(string store, string key)
    {
        if (key.Contains(Separator, StringComparison.Ordinal))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"input key/keyPrefix '{key}' can't contain '{Separator}'"));
        }

        var definition = settings.Components.FirstOrDefault(c => c.Name == store);
        var prefix = (definition?.Metadata.GetValueOrDefault("keyPrefix") ?? "appid").ToLowerInvariant();
        return prefix switch
        {
            "appid" => $"{settings.App.AppId}{Separator}{key}",
            "name" => $"{store}{Separator}{key}",
            "namespace" => $"{Environment.GetEnvironmentVariable("NAMESPACE")}.{settings.App.AppId}{Separator}{key}",
            "none" => key,
            _ => $"{prefix}{Separator}{key}",
        };
    }

    /// <summary>
    /// Reads one key; a value that does not decrypt is INTERNAL with daprd's message (<c>fail to get {key} from state
    /// store {store}: ...</c>).
    /// </summary>
    public async Task<StateItem?> GetAsync(string store, string key, CancellationToken cancellationToken)
    {
        var target = Store(store);
        try
        {
            return await target.GetAsync(StoredKey(store, key), cancellationToken);
        }
        catch (StateDecryptionException e)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"fail to get {key} from state store {store}: {e.Message}"));
        }
    }

    /// <summary>
    /// Applies every operation or none; on an outbox-enabled store, after publishing the event of each upsert to the
    /// internal topic (<see cref="TransactionalOutbox"/>), as daprd does on its transaction APIs.
    /// </summary>
    public async Task TransactAsync(string storeName, IReadOnlyList<TransactionOperation> operations, CancellationToken cancellationToken)
    {
        var store = Store(storeName);
        var written = await outbox.PublishInternalAsync(storeName, operations, cancellationToken);
        await store.TransactAsync(written, cancellationToken);
    }

    /// <summary>Runs a store call, translating its errors to the codes daprd returns.</summary>
    public static async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ETagMismatchException e)
        {
            throw new RpcException(new Status(StatusCode.Aborted, e.Message));
        }
        catch (InvalidETagException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
        catch (Resiliency.CircuitOpenException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }
        catch (Polly.Timeout.TimeoutRejectedException)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "the state store did not answer within its Resiliency timeout"));
        }
    }

    /// <summary>Reads a TTL from request metadata (<c>ttlInSeconds</c>).</summary>
    public static int? Ttl(IDictionary<string, string> metadata) =>
        metadata.TryGetValue("ttlInSeconds", out var raw)
            ? int.TryParse(raw, out var ttl) ? ttl : throw new RpcException(new Status(StatusCode.InvalidArgument, $"ttlInSeconds '{raw}' is not an integer"))
            : null;
}
