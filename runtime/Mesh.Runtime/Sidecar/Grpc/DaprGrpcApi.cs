using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Runtime.Components;
using Mesh.Runtime.Sidecar.Invocation;
using Mesh.Runtime.Sidecar.PubSub;
using Mesh.Runtime.Sidecar.Secrets;
using Mesh.Runtime.Sidecar.State;

namespace Mesh.Runtime.Sidecar.Grpc;

/// <summary>
/// The implemented subset of <c>dapr.proto.runtime.v1.Dapr</c>. Bound by <see cref="DaprServiceMethodProvider"/>,
/// which answers UNIMPLEMENTED, naming the method, for every other RPC of the service.
/// </summary>
public sealed class DaprGrpcApi(SidecarSettings settings, StateApi state, PublishApi publish, InvocationApi invocation, SubscriptionRegistry subscriptions, SecretsApi secrets)
{
    /// <summary>GetState.</summary>
    public Task<GetStateResponse> GetState(GetStateRequest request, ServerCallContext context) => StateApi.Guard(async () =>
    {
        var item = await state.GetAsync(request.StoreName, request.Key, context.CancellationToken);
        return item is null ? new GetStateResponse() : new GetStateResponse { Data = ByteString.CopyFrom(item.Value.Span), Etag = item.ETag };
    });

    /// <summary>GetBulkState: individual reads in parallel, as daprd does for Redis.</summary>
    public Task<GetBulkStateResponse> GetBulkState(GetBulkStateRequest request, ServerCallContext context) => StateApi.Guard(async () =>
    {
        var store = state.Store(request.StoreName);
        var items = await Task.WhenAll(request.Keys.Select(async key =>
        {
            try
            {
                var item = await store.GetAsync(state.StoredKey(request.StoreName, key), context.CancellationToken);
                return item is null ? new BulkStateItem { Key = key } : new BulkStateItem { Key = key, Data = ByteString.CopyFrom(item.Value.Span), Etag = item.ETag };
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return new BulkStateItem { Key = key, Error = e.Message };
            }
        }));
        return new GetBulkStateResponse { Items = { items } };
    });

    /// <summary>SaveState.</summary>
    public Task<Empty> SaveState(SaveStateRequest request, ServerCallContext context) => StateApi.Guard(async () =>
    {
        var store = state.Store(request.StoreName);
        foreach (var item in request.States)
        {
            await store.SetAsync(ToSet(request.StoreName, item), context.CancellationToken);
        }

        return new Empty();
    });

    /// <summary>DeleteState.</summary>
    public Task<Empty> DeleteState(DeleteStateRequest request, ServerCallContext context) => StateApi.Guard(async () =>
    {
        await state.Store(request.StoreName).DeleteAsync(
            new StateDeleteRequest(state.StoredKey(request.StoreName, request.Key), ETagOf(request.Etag), Concurrency(request.Options)), context.CancellationToken);
        return new Empty();
    });

    /// <summary>DeleteBulkState.</summary>
    public Task<Empty> DeleteBulkState(DeleteBulkStateRequest request, ServerCallContext context) => StateApi.Guard(async () =>
    {
        var store = state.Store(request.StoreName);
        foreach (var item in request.States)
        {
            await store.DeleteAsync(new StateDeleteRequest(state.StoredKey(request.StoreName, item.Key), ETagOf(item.Etag), Concurrency(item.Options)), context.CancellationToken);
        }

        return new Empty();
    });

    /// <summary>ExecuteStateTransaction: all operations or none.</summary>
    public Task<Empty> ExecuteStateTransaction(ExecuteStateTransactionRequest request, ServerCallContext context) => StateApi.Guard(async () =>
    {
        state.Store(request.StoreName);
        var operations = request.Operations.Select(op => new TransactionOperation(op.OperationType switch
        {
            "upsert" => new StateOperation(ToSet(request.StoreName, op.Request), null),
            "delete" => new StateOperation(null, new StateDeleteRequest(state.StoredKey(request.StoreName, op.Request.Key), ETagOf(op.Request.Etag), Concurrency(op.Request.Options))),
            _ => throw new RpcException(new Status(StatusCode.Unimplemented, $"operation type {op.OperationType} not supported")),
        }, op.Request.Metadata)).ToList();
        await state.TransactAsync(request.StoreName, operations, context.CancellationToken);
        return new Empty();
    });

    /// <summary>PublishEvent.</summary>
    public async Task<Empty> PublishEvent(PublishEventRequest request, ServerCallContext context)
    {
        await publish.PublishAsync(request.PubsubName, request.Topic, request.Data.Memory, request.DataContentType, request.Metadata, context.CancellationToken);
        return new Empty();
    }

    /// <summary>BulkPublishEvent (and its Alpha1 name): failures listed, not thrown.</summary>
    public async Task<BulkPublishResponse> BulkPublishEvent(BulkPublishRequest request, ServerCallContext context)
    {
        var failed = await publish.BulkPublishAsync(
            request.PubsubName,
            request.Topic,
            request.Entries.Select(e => new BulkPublishEntry(e.EntryId, e.Event.Memory, e.ContentType, e.Metadata)),
            request.Metadata,
            context.CancellationToken);
        return new BulkPublishResponse { FailedEntries = { failed.Select(f => new BulkPublishResponseFailedEntry { EntryId = f.EntryId, Error = f.Error }) } };
    }

    /// <summary>InvokeService.</summary>
    public Task<InvokeResponse> InvokeService(InvokeServiceRequest request, ServerCallContext context) =>
        invocation.InvokeAsync(request, context.CancellationToken);

    /// <summary>GetSecret.</summary>
    public async Task<GetSecretResponse> GetSecret(GetSecretRequest request, ServerCallContext context) =>
        new() { Data = { (await secrets.GetAsync(request.StoreName, request.Key, request.Metadata, context.CancellationToken)).ToDictionary() } };

    /// <summary>GetBulkSecret: the secrets the app's secret scopes allow.</summary>
    public async Task<GetBulkSecretResponse> GetBulkSecret(GetBulkSecretRequest request, ServerCallContext context) =>
        new()
        {
            Data =
            {
                (await secrets.BulkGetAsync(request.StoreName, request.Metadata, context.CancellationToken))
                    .ToDictionary(s => s.Key, s => new SecretResponse { Secrets = { s.Value.ToDictionary() } }),
            },
        };

    /// <summary>GetMetadata: app id, components and subscriptions.</summary>
    public Task<GetMetadataResponse> GetMetadata(GetMetadataRequest request, ServerCallContext context)
    {
        var response = new GetMetadataResponse { Id = settings.App.AppId, RuntimeVersion = "mesh" };
        response.RegisteredComponents.AddRange(settings.Components.Select(c => new RegisteredComponents { Name = c.Name, Type = c.Type, Version = c.Version }));
        response.Subscriptions.AddRange(subscriptions.Active.Select(s => new PubsubSubscription { PubsubName = s.PubsubName, Topic = s.Topic, DeadLetterTopic = s.DeadLetterTopic ?? "" }));
        response.AppConnectionProperties = new AppConnectionProperties
        {
            Port = settings.App.Port,
            Protocol = settings.App.Protocol,
            ChannelAddress = settings.App.Address,
        };
        return Task.FromResult(response);
    }

    private StateSetRequest ToSet(string store, Dapr.Client.Autogen.Grpc.v1.StateItem item) => new(
        state.StoredKey(store, item.Key), item.Value.Memory, ETagOf(item.Etag), Concurrency(item.Options), StateApi.Ttl(item.Metadata));

    // daprd (components-contrib parseETag) treats an empty ETag as none.
    private static string? ETagOf(Etag? etag) => string.IsNullOrEmpty(etag?.Value) ? null : etag.Value;

    private static StateConcurrency Concurrency(StateOptions? options) =>
        options?.Concurrency == StateOptions.Types.StateConcurrency.ConcurrencyFirstWrite ? StateConcurrency.FirstWrite : StateConcurrency.LastWrite;
}
