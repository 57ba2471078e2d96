using System.Net;
using System.Net.Sockets;

namespace Mesh.Runtime;

/// <summary>Ports on 127.0.0.1 for sidecars and apps that were given none.</summary>
public static class LoopbackPorts
{
    /// <summary>A port that was free a moment ago (the OS picks it; a race with another process is possible).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
