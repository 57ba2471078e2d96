using System.Collections.Concurrent;
using System.Net;
using Grpc.Net.Client;

namespace Mesh.Runtime.Sidecar.Invocation;

/// <summary>
/// Connections from the sidecar to apps: HTTP/1.1 for http apps, HTTP/2 with prior knowledge for h2c apps (daprd's
/// HTTP/2 cleartext app channel), HTTP/2 gRPC for grpc apps.
/// </summary>
public sealed class AppChannels : IDisposable
{
    private readonly ConcurrentDictionary<string, GrpcChannel> grpc = new(StringComparer.Ordinal);

    private readonly HttpClient http = new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1), UseProxy = false })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private readonly HttpClient h2c = new(new PriorKnowledgeHttp2(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1), UseProxy = false }))
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>The shared HTTP client of an http or h2c app: plain HTTP/1.1, or HTTP/2 without TLS for h2c.</summary>
    public HttpClient HttpFor(AppEndpoint app) => app.Protocol == "h2c" ? h2c : http;

    /// <summary>An HTTP/2 handler for forwarding gRPC calls.</summary>
    public HttpMessageInvoker Forwarder { get; } = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
    });

    /// <summary>The AppCallback client of a grpc app.</summary>
    public AppCallbackClient Callback(AppEndpoint app) =>
        new(grpc.GetOrAdd(app.BaseUri.ToString(), address => GrpcChannel.ForAddress(address)).CreateCallInvoker());

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
