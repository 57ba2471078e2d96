using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

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

    /// <summary>
    /// Keeps the ports the plan gives its apps (each appPort, the sidecar ports it fixes, and every loopback port in an
    /// app's environment, e.g. a second Kestrel endpoint or a listener port) from being picked for a sidecar or metrics
    /// endpoint before the apps bind them.
    /// </summary>
    public static void Reserve(MeshPlan plan) =>
        LoopbackPorts.Reserve(plan.Apps.Select(app => app.Spec).SelectMany(app =>
            new[] { app.AppPort, app.DaprHttpPort ?? 0, app.DaprGrpcPort ?? 0 }.Concat(app.Env.SelectMany(variable => PortsIn(variable.Key, variable.Value)))));

    // "http://127.0.0.1:5801" or "127.0.0.1:2575" give their port; so does a bare number under a key ending in "Port".
    private static IEnumerable<int> PortsIn(string key, string value)
    {
        foreach (Match match in Regex.Matches(value, @"(?:127\.0\.0\.1|localhost|\[::1\]):(\d{1,5})\b"))
        {
            yield return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        }

        if (key.EndsWith("Port", StringComparison.OrdinalIgnoreCase) && int.TryParse(value, CultureInfo.InvariantCulture, out var port))
        {
            yield return port;
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
