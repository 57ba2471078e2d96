using System.Collections.Concurrent;
using System.Net;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;

namespace Mesh.Runtime.Sidecar.Invocation;

/// <summary>
/// A sidecar's connections to its app: HTTP/1.1 for http apps, HTTP/2 with prior knowledge for h2c apps (daprd's
/// HTTP/2 cleartext app channel), HTTP/2 gRPC for grpc apps. Like daprd's app channel, every call carries the app's
/// APP_API_TOKEN in <c>dapr-api-token</c> (header or metadata) when one is set.
/// </summary>
public sealed class AppChannels : IDisposable
{
    private readonly ConcurrentDictionary<string, GrpcChannel> grpc = new(StringComparer.Ordinal);
    private readonly string? token;
    private readonly HttpClient http;
    private readonly HttpClient h2c;

    /// <summary>The channels of the app of <paramref name="settings"/>, with its APP_API_TOKEN.</summary>
    public AppChannels(SidecarSettings settings)
    {
        token = string.IsNullOrEmpty(settings.AppApiToken) ? null : settings.AppApiToken;
        http = new HttpClient(new AppToken(token, new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1), UseProxy = false }))
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        h2c = new HttpClient(new AppToken(token, new PriorKnowledgeHttp2(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1), UseProxy = false })))
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The shared HTTP client of an http or h2c app: plain HTTP/1.1, or HTTP/2 without TLS for h2c.</summary>
    public HttpClient HttpFor(AppEndpoint app) => app.Protocol == "h2c" ? h2c : http;

    /// <summary>An HTTP/2 handler for forwarding gRPC calls (the forwarder sets the token on each call).</summary>
    public HttpMessageInvoker Forwarder { get; } = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
    });

    /// <summary>The AppCallback client of a grpc app.</summary>
    public AppCallbackClient Callback(AppEndpoint app)
    {
        var invoker = grpc.GetOrAdd(app.BaseUri.ToString(), address => GrpcChannel.ForAddress(address)).CreateCallInvoker();
        return new AppCallbackClient(token is null ? invoker : invoker.Intercept(metadata =>
        {
            metadata.Add(ApiTokenCheck.Header, token);
            return metadata;
        }));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        http.Dispose();
        h2c.Dispose();
        Forwarder.Dispose();
        foreach (var channel in grpc.Values)
        {
            channel.Dispose();
        }
    }

    // daprd's HTTP app channel sets the app's token on every request it sends.
    private sealed class AppToken(string? token, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Remove(ApiTokenCheck.Header);
            if (token is not null)
            {
                request.Headers.TryAddWithoutValidation(ApiTokenCheck.Header, token);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    // An h2c app listens for HTTP/2 only, so every request starts HTTP/2 at once instead of negotiating.
    private sealed class PriorKnowledgeHttp2(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
