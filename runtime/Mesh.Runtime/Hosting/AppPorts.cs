using System.Net;
using System.Net.Sockets;

namespace Mesh.Runtime.Hosting;

/// <summary>
/// The ports of the apps mesh launches, checked before anything starts: an app could not bind a port another
/// process holds, and that process would answer mesh's health probe and receive the app's deliveries instead.
/// </summary>
internal static class AppPorts
{
    /// <summary>Throws when the appPort of an app mesh launches (one with a command, on this machine) is taken.</summary>
    /// <exception cref="InvalidOperationException">The message names the app, the address and the run file.</exception>
    public static void EnsureFree(MeshPlan plan)
    {
        foreach (var app in plan.Apps.Select(app => app.Spec).Where(app => app.Command.Count > 0 && app.AppPort > 0))
        {
            if (LocalAddress(app.AppChannelAddress) is { } address && !CanBind(address, app.AppPort))
            {
                // Naming the holder tells an app left over from an earlier run (a mesh that was killed) from a stranger.
                var holder = PortHolder.Describe(app.AppPort) is { } process ? $" ({process})" : "";
                throw new InvalidOperationException(
                    $"app '{app.AppId}' cannot start: {app.AppChannelAddress}:{app.AppPort}, its appPort, is taken by another process{holder}; stop that process or give the app another appPort in {plan.RunFile.Path}");
            }
        }
    }

    private static IPAddress? LocalAddress(string host) =>
        host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address) ? address : null;

    private static bool CanBind(IPAddress address, int port)
    {
        try
        {
            using var listener = new TcpListener(address, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
