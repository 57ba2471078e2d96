using System.Diagnostics;
using System.Globalization;
using Grpc.Core;
using Mesh.Runtime.Sidecar.Resiliency;
using Mesh.Runtime.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Mesh.Runtime.Sidecar.Invocation;

/// <summary>
/// Forwards calls to apps through their sidecars (<see cref="InboundCalls"/>), keeping the caller's method path,
/// streaming bodies and trailers: gRPC calls carrying <c>dapr-app-id</c> on the sidecar's gRPC port, and
/// <c>/v1.0/invoke</c> calls on its HTTP port. The callee's access control list decides first; the callee sees
/// <c>dapr-caller-app-id</c> and its own APP_API_TOKEN in <c>dapr-api-token</c>, never <c>dapr-app-id</c> or the
/// caller's DAPR_API_TOKEN.
/// </summary>
public sealed class GrpcProxy(SidecarSettings settings, IHttpForwarder forwarder, InvocationApi invocation)
{
    /// <summary>The metadata key naming the target app.</summary>
    public const string AppIdHeader = "dapr-app-id";

    private static readonly ForwarderRequestConfig Http2 = new() { Version = System.Net.HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
    private static readonly ForwarderRequestConfig Http11 = new() { Version = System.Net.HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower };

    /// <summary>
    /// Forwards a gRPC call to the app named by its <c>dapr-app-id</c> metadata; PERMISSION_DENIED with daprd's message
    /// when the app's access control list refuses it (gRPC calls match as gRPC operations, without a verb).
    /// </summary>
    public async Task ForwardGrpcAsync(HttpContext context)
    {
        var callee = invocation.Target(context.Request.Headers[AppIdHeader].ToString());
        invocation.Authorize(callee, InvocationApi.Normalize(context.Request.Path.Value ?? ""), verb: null, isHttp: false, proxied: true);
        var target = callee.App;
        using var span = StartInvokeSpan(target.AppId, context.Request.Path);
        var started = Stopwatch.GetTimestamp();
        var error = await ForwardAsync(context, target, () => forwarder.SendAsync(context, target.BaseUri.ToString(), callee.Channels.Forwarder, Http2, new CallerTransformer(settings.App.AppId, null, callee.AppApiToken)));
        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
        }

        // The gRPC status is in the trailers, or in the headers of a trailers-only answer.
        var status = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers["grpc-status"].ToString() is { Length: > 0 } trailer ? trailer
            : context.Response.Headers["grpc-status"].ToString() is { Length: > 0 } header ? header
            : error == ForwarderError.None ? "0" : "14";
        Invoked(span, target.AppId, "grpc", status, started);
    }

    /// <summary>
    /// Forwards <c>/v1.0/invoke/{app}/method/{method}</c> to the app's HTTP route. A refusal is daprd's answer:
    /// 403 (access control) or 500, with <c>{"errorCode":"ERR_DIRECT_INVOKE","message":"failed to invoke, ..."}</c>.
    /// </summary>
    public async Task ForwardHttpAsync(HttpContext context, string appId, string method)
    {
        var callee = invocation.Target(appId);
        string normalized;
        try
        {
            normalized = InvocationApi.Normalize(method);
            invocation.Authorize(callee, normalized, callee.IsHttp ? context.Request.Method.ToUpperInvariant() : null, callee.IsHttp, proxied: false);
        }
        catch (RpcException e)
        {
            var status = e.StatusCode == StatusCode.PermissionDenied ? StatusCodes.Status403Forbidden : StatusCodes.Status500InternalServerError;
            await Results.Json(new { errorCode = "ERR_DIRECT_INVOKE", message = InvocationApi.FailedToInvoke(appId, e) }, statusCode: status).ExecuteAsync(context);
            return;
        }

        var target = callee.App;
        using var span = StartInvokeSpan(target.AppId, "/" + normalized);
        var started = Stopwatch.GetTimestamp();
        var error = await ForwardAsync(context, target, () => forwarder.SendAsync(context, target.BaseUri.ToString(), callee.Channels.Forwarder, target.UsesHttp2 ? Http2 : Http11, new CallerTransformer(settings.App.AppId, "/" + normalized, callee.AppApiToken)));
        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        }

        Invoked(span, target.AppId, "http", context.Response.StatusCode.ToString(CultureInfo.InvariantCulture), started);
    }

    // daprd's client span of a service invocation: "CallLocal/{app}/{method}".
    private Activity? StartInvokeSpan(string targetAppId, string method)
    {
        var span = SidecarTelemetry.StartSpan($"CallLocal/{targetAppId}{method}", ActivityKind.Client, settings.App.AppId);
        span?.SetTag("rpc.service", "ServiceInvocation").SetTag("dapr.invoke_method", method).SetTag("net.peer.name", targetAppId);
        return span;
    }

    private void Invoked(Activity? span, string targetAppId, string type, string status, long started)
    {
        span?.SetTag("dapr.status_code", status);
        SidecarTelemetry.Invoked(settings.App.AppId, targetAppId, type, status, Stopwatch.GetElapsedTime(started));
    }

    // Forwarded calls stream their bodies, so they cannot be sent again: they get the app's circuit breaker and
    // timeout, while its retries apply to InvokeService.
    private async Task<ForwarderError> ForwardAsync(HttpContext context, AppEndpoint target, Func<ValueTask<ForwarderError>> send)
    {
        if (invocation.RunnerFor(target.AppId) is not { } runner)
        {
            return await send();
        }

        long entered = 0;
        try
        {
            entered = runner.Breaker?.Enter() ?? 0;
        }
        catch (CircuitOpenException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"failed to invoke, id: {target.AppId}, err: {e.Message}"));
        }

        var aborted = context.RequestAborted;
        using var limit = runner.Timeout is { } timeout ? new CancellationTokenSource(timeout, settings.Time) : null;
        using var linked = limit is null ? null : CancellationTokenSource.CreateLinkedTokenSource(aborted, limit.Token);
        context.RequestAborted = linked?.Token ?? aborted;
        var error = ForwarderError.Request;
        try
        {
            error = await send();
            return error;
        }
        finally
        {
            context.RequestAborted = aborted;
            runner.Breaker?.Exit(entered, error == ForwarderError.None && context.Response.StatusCode < 500);
        }
    }

    private sealed class CallerTransformer(string callerAppId, string? path, string? appToken) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            if (path is not null)
            {
                proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, new PathString(path), httpContext.Request.QueryString);
            }

            proxyRequest.Headers.Remove(AppIdHeader);
            // With a span of the sidecar's own, the app's call carries it (HttpClient adds it) instead of the caller's.
            if (Activity.Current is not null)
            {
                proxyRequest.Headers.Remove("traceparent");
                proxyRequest.Headers.Remove("tracestate");
            }

            proxyRequest.Headers.Remove(InvocationApi.CallerHeader);
            proxyRequest.Headers.Remove(ApiTokenCheck.Header);
            proxyRequest.Headers.TryAddWithoutValidation(InvocationApi.CallerHeader, callerAppId);
            if (!string.IsNullOrEmpty(appToken))
            {
                proxyRequest.Headers.TryAddWithoutValidation(ApiTokenCheck.Header, appToken);
            }
        }
    }
}
