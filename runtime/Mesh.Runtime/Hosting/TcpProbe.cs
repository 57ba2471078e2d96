using System.Net.Sockets;

namespace Mesh.Runtime.Hosting;

/// <summary>Whether something listens at an address: the cheapest sign that an app or a sidecar is up.</summary>
public static class TcpProbe
{
    /// <summary>
    /// True when a TCP connection to <paramref name="host"/>:<paramref name="port"/> opens within <paramref name="timeout"/>;
    /// false when it is refused or takes longer. Cancelling <paramref name="cancellationToken"/> throws.
    /// </summary>
    public static async Task<bool> ConnectsAsync(string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(timeout);
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(host, port, attempt.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }
}
