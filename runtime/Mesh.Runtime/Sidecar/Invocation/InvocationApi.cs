using System.Net.Http.Headers;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using System.Collections.Concurrent;
using Grpc.Core;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar.Resiliency;
using Polly.Timeout;

namespace Mesh.Runtime.Sidecar.Invocation;

/// <summary>
/// Service invocation through the Dapr API (<c>InvokeService</c>): an HTTP call to an http or h2c app's
/// route, or <c>AppCallback/OnInvoke</c> on a grpc app. The callee sees <c>dapr-caller-app-id</c>. Calls run under
/// the callee's Resiliency policies (<c>targets.apps.&lt;id&gt;</c>): an HTTP answer of 500 or more, a gRPC error or
/// an unreachable app is a failure, retried (only the statuses of the policy's <c>matching</c>, when it has one) and
/// counted by the circuit breaker.
/// </summary>
public sealed class InvocationApi(SidecarSettings settings, AppChannels channels)
{
    /// <summary>The header naming the calling app.</summary>
    public const string CallerHeader = "dapr-caller-app-id";

    private readonly ConcurrentDictionary<string, PolicyRunner?> runners = new(StringComparer.Ordinal);

    /// <summary>The policies of calls to <paramref name="appId"/>, one breaker per app; null when none apply.</summary>
    public PolicyRunner? RunnerFor(string appId) =>
        runners.GetOrAdd(appId, id => PolicyRunner.For(settings.Resiliency.Apps.GetValueOrDefault(id), settings.Time, IsFailure, IsRetriable));

    /// <summary>Invokes a method on another (or the same) app.</summary>
    public async Task<InvokeResponse> InvokeAsync(InvokeServiceRequest request, CancellationToken cancellationToken)
    {
        var target = Target(request.Id);
        var message = request.Message ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "message is required"));
        try
        {
            return RunnerFor(target.AppId) is { } runner
                ? await runner.ExecuteAsync(token => InvokeOnceAsync(target, message, token), cancellationToken)
                : await InvokeOnceAsync(target, message, cancellationToken);
        }
        catch (AppStatusException e)
        {
            // The app's body is left out: it may carry patient data, and status details end up in callers' logs.
            throw new RpcException(new Status(StatusCode.Unknown, $"failed to invoke, id: {request.Id}, err: received non-successful status code from app: {e.Status}"));
        }
        catch (CircuitOpenException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"failed to invoke, id: {request.Id}, err: {e.Message}"));
        }
        catch (TimeoutRejectedException)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, $"failed to invoke, id: {request.Id}, err: the Resiliency timeout passed"));
        }
    }

    private async Task<InvokeResponse> InvokeOnceAsync(AppEndpoint target, InvokeRequest message, CancellationToken cancellationToken)
    {
        if (target.Protocol == "grpc")
        {
            var headers = new Metadata { { CallerHeader, settings.App.AppId } };
            return await channels.Callback(target).OnInvokeAsync(message, headers, cancellationToken: cancellationToken);
        }

        var verb = message.HttpExtension?.Verb ?? HTTPExtension.Types.Verb.Post;
        var query = string.IsNullOrEmpty(message.HttpExtension?.Querystring) ? "" : "?" + message.HttpExtension.Querystring;
        using var call = new HttpRequestMessage(new HttpMethod(verb == HTTPExtension.Types.Verb.None ? "POST" : verb.ToString().ToUpperInvariant()), new Uri(target.BaseUri, message.Method.TrimStart('/') + query));
        call.Headers.Add(CallerHeader, settings.App.AppId);
        if (message.Data is { Value.Length: > 0 } data)
        {
            call.Content = new ByteArrayContent(data.Value.ToByteArray());
            call.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(string.IsNullOrEmpty(message.ContentType) ? "application/json" : message.ContentType);
        }

        using var response = await channels.HttpFor(target).SendAsync(call, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new AppStatusException((int)response.StatusCode);
        }

        return new InvokeResponse
        {
            Data = new Any { Value = ByteString.CopyFrom(body) },
            ContentType = response.Content.Headers.ContentType?.ToString() ?? "",
        };
    }

    private static bool IsFailure(Exception e) => e switch
    {
        AppStatusException status => status.Status >= 500,
        _ => e is RpcException or HttpRequestException or IOException,
    };

    private static bool IsRetriable(Exception e, RetryPolicy retry) => e switch
    {
        AppStatusException status => retry.RetriesHttp(status.Status),
        RpcException rpc => retry.RetriesGrpc((int)rpc.StatusCode),
        _ => IsFailure(e),
    };

    /// <summary>The app of that id, or the error daprd answers.</summary>
    public AppEndpoint Target(string appId)
    {
        if (string.IsNullOrEmpty(appId))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "failed getting app id either from the URL path or the header dapr-app-id"));
        }

        var target = settings.Directory.Find(appId) ?? throw new RpcException(new Status(StatusCode.NotFound, $"failed to invoke, id: {appId}, err: app id {appId} is not running in this mesh"));
        return target.Port > 0 ? target : throw new RpcException(new Status(StatusCode.FailedPrecondition, $"app {appId} has no app port, so it cannot be invoked"));
    }
}

/// <summary>An app answered an invocation with a status that is not a success.</summary>
internal sealed class AppStatusException(int status) : Exception($"the app answered HTTP {status}")
{
    /// <summary>The HTTP status.</summary>
    public int Status { get; } = status;
}
