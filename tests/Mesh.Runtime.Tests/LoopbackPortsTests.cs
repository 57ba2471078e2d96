using System.Net;
using System.Net.Sockets;

namespace Mesh.Runtime.Tests;

public sealed class LoopbackPortsTests
{
    [Fact]
    public void Free_HandsOutDistinctBindablePorts_BelowTheOsEphemeralRange()
    {
        var ephemeralStart = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0], System.Globalization.CultureInfo.InvariantCulture);

        var ports = Enumerable.Range(0, 200).Select(_ => LoopbackPorts.Free()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, port => Assert.InRange(port, 10_000, ephemeralStart - 1));
        Assert.All(ports.Take(20), port =>
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
        });
    }
}
