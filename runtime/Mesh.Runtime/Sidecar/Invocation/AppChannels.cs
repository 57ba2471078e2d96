using System.Collections.Concurrent;
using System.Net;
using Grpc.Net.Client;

namespace Mesh.Runtime.Sidecar.Invocation;

/// <summary>Connections from the sidecar to apps: HTTP/1.1 for http apps, HTTP/2 gRPC for grpc apps.</summary>
public sealed class AppChannels : IDisposable
{
    private readonly ConcurrentDictionary<string, GrpcChannel> grpc = new(StringComparer.Ordinal);

    /// <summary>The shared HTTP client for http apps (plain HTTP/1.1, as daprd's app channel).</summary>
    public HttpClient Http { get; } = new(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1), UseProxy = false })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

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
        Http.Dispose();
        Forwarder.Dispose();
        foreach (var channel in grpc.Values)
        {
            channel.Dispose();
        }
    }
}
