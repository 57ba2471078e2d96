using Mesh.Runtime.Components;

namespace Mesh.Runtime.Sidecar.Resiliency;

/// <summary>
/// Applies each component's outbound Resiliency policies (<c>targets.components.&lt;name&gt;.outbound</c>, or daprd's
/// default component policies) to the calls a sidecar makes to it: the app's state operations and publishes, the
/// outbox's and dead-letter publishes. Subscribing is not a call and passes through. ETag mismatches and invalid
/// ETags are answers, not failures: never retried, never counted by the breaker.
/// </summary>
public static class ResilientComponents
{
    /// <summary>The settings with every component that has outbound policies wrapped in them.</summary>
    public static SidecarSettings Apply(SidecarSettings settings)
    {
        var outbound = settings.Resiliency.ComponentOutbound;
        PolicyRunner? RunnerFor(string name) => PolicyRunner.For(outbound.GetValueOrDefault(name), settings.Time, IsFailure);
        return settings with
        {
            StateStores = settings.StateStores.ToDictionary(
                s => s.Key,
                s => RunnerFor(s.Key) is { } runner ? new ResilientStateStore(s.Value, runner) : s.Value,
                StringComparer.Ordinal),
            PubSubs = settings.PubSubs.ToDictionary(
                p => p.Key,
                p => RunnerFor(p.Key) is { } runner ? new ResilientPubSub(p.Value, runner) : p.Value,
                StringComparer.Ordinal),
        };
    }

    private static bool IsFailure(Exception e) => e is not (ETagMismatchException or InvalidETagException or ArgumentException);

    // The wrapped component belongs to whoever created it (mesh run shares one between apps): disposing the wrapper leaves it open.
    private sealed class ResilientStateStore(IStateStore store, PolicyRunner runner) : IStateStore
    {
        public Task<StateItem?> GetAsync(string key, CancellationToken cancellationToken) =>
            runner.ExecuteAsync(token => store.GetAsync(key, token), cancellationToken);

        public Task SetAsync(StateSetRequest request, CancellationToken cancellationToken) =>
            runner.ExecuteAsync(token => store.SetAsync(request, token), cancellationToken);

        public Task DeleteAsync(StateDeleteRequest request, CancellationToken cancellationToken) =>
            runner.ExecuteAsync(token => store.DeleteAsync(request, token), cancellationToken);

        public Task TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken) =>
            runner.ExecuteAsync(token => store.TransactAsync(operations, token), cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class ResilientPubSub(IPubSub pubsub, PolicyRunner runner) : IPubSub
    {
        public Task PublishAsync(string topic, ReadOnlyMemory<byte> data, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) =>
            runner.ExecuteAsync(token => pubsub.PublishAsync(topic, data, metadata, token), cancellationToken);

        public Task<IAsyncDisposable> SubscribeAsync(TopicSubscribeRequest request, Func<TopicMessage, CancellationToken, Task> handler, CancellationToken cancellationToken) =>
            pubsub.SubscribeAsync(request, handler, cancellationToken);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
