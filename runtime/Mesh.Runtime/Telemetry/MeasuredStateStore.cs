using System.Diagnostics;
using Mesh.Runtime.Components;

namespace Mesh.Runtime.Telemetry;

/// <summary>
/// A state store as one sidecar uses it, recording each operation as daprd does (<c>dapr_component_state_count</c> and
/// <c>_latencies</c> by operation and success) under a span. An ETag mismatch counts as a failed operation, as in daprd.
/// </summary>
public sealed class MeasuredStateStore(IStateStore inner, string appId, string component) : IStateStore
{
    /// <inheritdoc />
    public Task<StateItem?> GetAsync(string key, CancellationToken cancellationToken) =>
        MeasureAsync("get", () => inner.GetAsync(key, cancellationToken));

    /// <inheritdoc />
    public Task SetAsync(StateSetRequest request, CancellationToken cancellationToken) =>
        MeasureAsync("set", async () => { await inner.SetAsync(request, cancellationToken); return true; });

    /// <inheritdoc />
    public Task DeleteAsync(StateDeleteRequest request, CancellationToken cancellationToken) =>
        MeasureAsync("delete", async () => { await inner.DeleteAsync(request, cancellationToken); return true; });

    /// <inheritdoc />
    public Task TransactAsync(IReadOnlyList<StateOperation> operations, CancellationToken cancellationToken) =>
        MeasureAsync("executeTransaction", async () => { await inner.TransactAsync(operations, cancellationToken); return true; });

    /// <summary>The sidecar does not own the store: the components are shared by every sidecar of the process.</summary>
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<T> MeasureAsync<T>(string operation, Func<Task<T>> call)
    {
        using var span = SidecarTelemetry.StartSpan($"{component} {operation}", ActivityKind.Client, appId);
        span?.SetTag("db.system", "redis").SetTag("db.operation.name", operation).SetTag("dapr.component", component);
        var started = Stopwatch.GetTimestamp();
        var success = false;
        try
        {
            var result = await call();
            success = true;
            return result;
        }
        finally
        {
            span?.SetStatus(success ? ActivityStatusCode.Ok : ActivityStatusCode.Error);
            SidecarTelemetry.StateOperation(appId, component, operation, success, Stopwatch.GetElapsedTime(started));
        }
    }
}
