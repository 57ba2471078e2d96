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
/// Service invocation through the Dapr API (<c>InvokeService</c>): an HTTP call to an http or h2c app's route, or
/// <c>AppCallback/OnInvoke</c> on a grpc app, through the callee's sidecar (<see cref="InboundCalls"/>), whose access
/// control list decides and whose app channel carries the callee's APP_API_TOKEN. The callee sees
/// <c>dapr-caller-app-id</c>. Calls run under the callee's Resiliency policies (<c>targets.apps.&lt;id&gt;</c>): an
/// HTTP answer of 500 or more, a gRPC error or an unreachable app is a failure, retried (only the statuses of the
/// policy's <c>matching</c>, when it has one) and counted by the circuit breaker.
/// </summary>
public sealed class InvocationApi(SidecarSettings settings)
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
        var callee = Target(request.Id);
        var message = request.Message ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "message is required"));
        var verb = message.HttpExtension?.Verb ?? HTTPExtension.Types.Verb.None;
        try
        {
            message = message.Clone();
            message.Method = Normalize(message.Method);
            Authorize(callee, message.Method, callee.IsHttp && verb != HTTPExtension.Types.Verb.None ? verb.ToString().ToUpperInvariant() : null, callee.IsHttp, proxied: false);
        }
        catch (RpcException e)
        {
            // daprd wraps what the callee's sidecar answered (gRPC InvokeService is INTERNAL whatever the cause).
            throw new RpcException(new Status(StatusCode.Internal, FailedToInvoke(request.Id, e)));
        }

        try
        {
            return RunnerFor(callee.App.AppId) is { } runner
                ? await runner.ExecuteAsync(token => InvokeOnceAsync(callee, message, token), cancellationToken)
                : await InvokeOnceAsync(callee, message, cancellationToken);
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

    private async Task<InvokeResponse> InvokeOnceAsync(InboundCalls callee, InvokeRequest message, CancellationToken cancellationToken)
    {
        var target = callee.App;
        if (target.Protocol == "grpc")
        {
            var headers = new Metadata { { CallerHeader, settings.App.AppId } };
            return await callee.Channels.Callback(target).OnInvokeAsync(message, headers, cancellationToken: cancellationToken);
        }

        var verb = message.HttpExtension?.Verb ?? HTTPExtension.Types.Verb.None;
        var query = string.IsNullOrEmpty(message.HttpExtension?.Querystring) ? "" : "?" + message.HttpExtension.Querystring;
        using var call = new HttpRequestMessage(new HttpMethod(verb == HTTPExtension.Types.Verb.None ? "POST" : verb.ToString().ToUpperInvariant()), new Uri(target.BaseUri, message.Method.TrimStart('/') + query));
        call.Headers.Add(CallerHeader, settings.App.AppId);
        if (message.Data is { Value.Length: > 0 } data)
        {
            call.Content = new ByteArrayContent(data.Value.ToByteArray());
            call.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(string.IsNullOrEmpty(message.ContentType) ? "application/json" : message.ContentType);
        }

        using var response = await callee.Channels.HttpFor(target).SendAsync(call, cancellationToken);
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

    /// <summary>The callee side of the app of that id, or the error daprd answers.</summary>
    public InboundCalls Target(string appId)
    {
        if (string.IsNullOrEmpty(appId))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "failed getting app id either from the URL path or the header dapr-app-id"));
        }

        var target = settings.Directory.Find(appId) ?? throw new RpcException(new Status(StatusCode.NotFound, $"failed to invoke, id: {appId}, err: app id {appId} is not running in this mesh"));
        if (target.Port == 0)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"app {appId} has no app port, so it cannot be invoked"));
        }

        return settings.Directory.SidecarOf(appId)
            ?? throw new RpcException(new Status(StatusCode.Unavailable, $"failed to invoke, id: {appId}, err: the sidecar of {appId} is not running"));
    }

    /// <summary>
    /// Has the callee's sidecar check the call against its app's access control list, with this app's identity. As in
    /// daprd, an app invoking itself by HTTP or InvokeService skips the list, and a gRPC call proxied to the app itself
    /// has no caller identity, so the global default action decides.
    /// </summary>
    public void Authorize(InboundCalls callee, string operation, string? verb, bool isHttp, bool proxied)
    {
        var self = callee.App.AppId == settings.App.AppId;
        if (!self || proxied)
        {
            callee.Authorize(self ? null : InboundCalls.IdentityOf(settings), operation, verb, isHttp);
        }
    }

    /// <summary>The method as daprd checks and dispatches it; INVALID_ARGUMENT when daprd refuses it.</summary>
    public static string Normalize(string method) =>
        MethodNames.Normalize(method) is ({ } normalized, null) ? normalized : throw new RpcException(new Status(StatusCode.InvalidArgument, $"invalid method: {MethodNames.Normalize(method).Problem}"));

    /// <summary>daprd's ERR_DIRECT_INVOKE message around a gRPC error, as Go prints it.</summary>
    public static string FailedToInvoke(string appId, RpcException e) => $"failed to invoke, id: {appId}, err: rpc error: code = {e.StatusCode} desc = {e.Status.Detail}";
}

/// <summary>An app answered an invocation with a status that is not a success.</summary>
internal sealed class AppStatusException(int status) : Exception($"the app answered HTTP {status}")
{
    /// <summary>The HTTP status.</summary>
    public int Status { get; } = status;
}
