using System.Net.Http.Headers;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Mesh.Runtime.Sidecar.Invocation;

/// <summary>
/// Service invocation through the Dapr API (<c>InvokeService</c>): an HTTP call to an http or h2c app's
/// route, or <c>AppCallback/OnInvoke</c> on a grpc app. The callee sees <c>dapr-caller-app-id</c>.
/// </summary>
public sealed class InvocationApi(SidecarSettings settings, AppChannels channels)
{
    /// <summary>The header naming the calling app.</summary>
    public const string CallerHeader = "dapr-caller-app-id";

    /// <summary>Invokes a method on another (or the same) app.</summary>
    public async Task<InvokeResponse> InvokeAsync(InvokeServiceRequest request, CancellationToken cancellationToken)
    {
        var target = Target(request.Id);
        var message = request.Message ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "message is required"));
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
            // The app's body is left out: it may carry patient data, and status details end up in callers' logs.
            throw new RpcException(new Status(StatusCode.Unknown, $"failed to invoke, id: {request.Id}, err: received non-successful status code from app: {(int)response.StatusCode}"));
        }

        return new InvokeResponse
        {
            Data = new Any { Value = ByteString.CopyFrom(body) },
            ContentType = response.Content.Headers.ContentType?.ToString() ?? "",
        };
    }

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
