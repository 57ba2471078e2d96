using Microsoft.Extensions.Logging;

namespace Mesh.Runtime.Sidecar;

/// <summary>One Dapr-compatible sidecar: the Dapr HTTP and gRPC APIs for one app.</summary>
public sealed class DaprSidecar : IAsyncDisposable
{
    private DaprSidecar()
    {
    }

    /// <summary>The Dapr HTTP API port on 127.0.0.1.</summary>
    public int HttpPort { get; private set; }

    /// <summary>The Dapr gRPC API port on 127.0.0.1.</summary>
    public int GrpcPort { get; private set; }

    /// <summary>Starts serving the Dapr APIs; deliveries start later, once the app is healthy.</summary>
    public static Task<DaprSidecar> StartAsync(SidecarSettings settings, ILoggerFactory loggerFactory, CancellationToken cancellationToken) =>
        throw new NotImplementedException("being written");

    /// <summary>Asks the app for its subscriptions (GET /dapr/subscribe or ListTopicSubscriptions) and starts delivering.</summary>
    public Task StartDeliveriesAsync(CancellationToken cancellationToken) => throw new NotImplementedException("being written");

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
