using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Mesh.Runtime;

/// <summary>Ports on 127.0.0.1 for sidecars and apps that were given none.</summary>
/// <remarks>
/// A port is picked now and bound later, often by another process. Picked from the OS's ephemeral range, the same
/// port can meanwhile be handed to any port-0 listener or outgoing connection; so on Linux the pick is a random
/// port below that range (which the OS never hands out by itself), never the same one twice in a process, and
/// checked free by binding it. Elsewhere, or when no such port is free, the OS picks.
/// </remarks>
public static class LoopbackPorts
{
    private const int LowestPicked = 10_000;
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> HandedOut = [];
    private static readonly int BelowEphemeral = EphemeralRangeStart();

    /// <summary>A port that was free a moment ago.</summary>
    public static int Free()
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 50 && BelowEphemeral - LowestPicked > 1_000; attempt++)
            {
                var port = Random.Shared.Next(LowestPicked, BelowEphemeral);
                if (!HandedOut.Contains(port) && IsFree(port))
                {
                    HandedOut.Add(port);
                    return port;
                }
            }

            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }

    /// <summary>
    /// Never hands out <paramref name="ports"/>: ports a run file gives its apps are free until the apps bind them, and a
    /// sidecar picking one of them meanwhile would take it from its app.
    /// </summary>
    public static void Reserve(IEnumerable<int> ports)
    {
        lock (Gate)
        {
            HandedOut.UnionWith(ports.Where(port => port > 0));
        }
    }

    /// <summary>True when nothing holds <paramref name="port"/> on 127.0.0.1 (it can be bound now).</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // Linux: "32768	60999"; elsewhere (or unreadable) no range is known and the OS picks.
    private static int EphemeralRangeStart()
    {
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range");
            var first = text.Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries)[0];
            return int.Parse(first, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }
}
