using Mesh.Runtime.Hosting;

namespace Mesh.Demo;

/// <summary>Whether a Dapr sidecar listens where the demo was told to find one, before any call fails with a stack trace.</summary>
internal static class SidecarProbe
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);

    /// <summary>True when something accepts connections at the endpoint's host and port.</summary>
    public static async Task<bool> AnswersAsync(string endpoint, CancellationToken cancellationToken) =>
        Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && await TcpProbe.ConnectsAsync(uri.Host, uri.Port, ConnectTimeout, cancellationToken);
}
