using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Mesh.Resources;

/// <summary>
/// A short-lived cache of another app's standard Get calls (AIP-131: unary, named Get*, without side effects), as a
/// client interceptor: an answer is reused for <paramref name="lifetime"/> from when its call began, so a read that hits
/// costs no hop and a change in the owning app is seen at most one lifetime later. Concurrent reads of one resource share
/// one call. Only answers are kept: an error (NOT_FOUND included: a resource created a moment later must be found) is
/// asked again by the next read. Each caller gets its own copy of the message.
/// </summary>
/// <param name="lifetime">How long an answer stands; zero or less turns the cache off.</param>
/// <param name="clock">The clock of the lifetime.</param>
public sealed class ReadCache(TimeSpan lifetime, TimeProvider clock) : Interceptor
{
    // Above this many entries, a new read first drops those whose lifetime ended (names read once and never again).
    private const int SweepAbove = 10_000;
    private readonly ConcurrentDictionary<(string Method, ByteString Request), Entry> entries = new();

    /// <inheritdoc />
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        if (lifetime <= TimeSpan.Zero || !context.Method.Name.StartsWith("Get", StringComparison.Ordinal) || request is not IMessage message)
        {
            return continuation(request, context);
        }

        var key = (context.Method.FullName, message.ToByteString());
        var now = clock.GetUtcNow();
        if (!entries.TryGetValue(key, out var entry) || entry.Expires <= now)
        {
            Sweep(now);
            // The shared call is not cancelled by the caller who happened to start it; each caller stops waiting on its own.
            var shared = new ClientInterceptorContext<TRequest, TResponse>(context.Method, context.Host, context.Options.WithCancellationToken(CancellationToken.None));
            var fresh = new Entry(now + lifetime, new Lazy<Task<object>>(async () => await continuation(request, shared).ResponseAsync));
            entry = entries.AddOrUpdate(key, fresh, (_, current) => current.Expires > now ? current : fresh);
            if (ReferenceEquals(entry, fresh))
            {
                // An error leaves nothing behind, so the next read asks again.
                fresh.Response.Value.ContinueWith(
                    _ => entries.TryRemove(KeyValuePair.Create(key, fresh)),
                    CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        var response = CopyAsync<TResponse>(entry.Response.Value, context.Options.CancellationToken);
        return new AsyncUnaryCall<TResponse>(response, Task.FromResult(new Metadata()), () => Status.DefaultSuccess, () => new Metadata(), () => { });
    }

    private static async Task<TResponse> CopyAsync<TResponse>(Task<object> shared, CancellationToken cancellationToken)
        where TResponse : class =>
        ((IDeepCloneable<TResponse>)await shared.WaitAsync(cancellationToken)).Clone();

    private void Sweep(DateTimeOffset now)
    {
        if (entries.Count <= SweepAbove)
        {
            return;
        }

        foreach (var stale in entries.Where(e => e.Value.Expires <= now))
        {
            entries.TryRemove(stale);
        }
    }

    private sealed record Entry(DateTimeOffset Expires, Lazy<Task<object>> Response);
}
