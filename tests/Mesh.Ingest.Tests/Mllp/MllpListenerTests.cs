using System.Net.Sockets;
using System.Text;
using Mesh.Ingest.Intake;
using Mesh.Ingest.Mllp;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Ingest.Tests.Mllp;

/// <summary>The listener's own rules (idle timeout, ports), with a handler that acknowledges every frame.</summary>
public sealed class MllpListenerTests
{
    [Fact]
    public async Task IdleConnection_IsClosedOnceTheIdleTimeoutPassesOnTheClock()
    {
        var clock = new FakeTimeProvider();
        var listener = Listener(clock, port: 0);
        await listener.StartAsync(CancellationToken.None);
        var endpoint = await listener.EndpointAsync;
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint);
        var stream = client.GetStream();
        await stream.WriteAsync(MllpFramer.Wrap("MSH|first"u8));
        var ack = new byte[64];
        var read = await stream.ReadAsync(ack);
        await stream.WriteAsync(new byte[] { MllpFramer.StartBlock, (byte)'M' });

        // Nothing more arrives; once the clock passes the idle timeout the listener closes the connection.
        var closed = Task.Run(async () => await stream.ReadAsync(new byte[16]));
        while (!closed.IsCompleted)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            await Task.WhenAny(closed, Task.Delay(20));
        }

        Assert.Equal("ACK:MSH|first", Encoding.ASCII.GetString(ack, 1, read - 3));
        Assert.Equal(0, await closed);
        await listener.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void Bind_PortInUse_SaysSoInOneLine()
    {
        using var taken = new TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var listener = Listener(TimeProvider.System, port);

        var error = Assert.Throws<IngestStartupException>(listener.Bind);

        Assert.Equal($"the MLLP port 127.0.0.1:{port} is in use; stop what holds it or set Ingest:Mllp:Port", error.Message);
    }

    [Fact]
    public void Bind_AddressThatIsNotOne_SaysWhatToUse()
    {
        var listener = new MllpListener(new Echo(), Options.Create(new IngestOptions { Mllp = new MllpOptions { Address = "localhost", Port = 0 } }), TimeProvider.System, NullLogger<MllpListener>.Instance);

        Assert.StartsWith("Ingest:Mllp:Address 'localhost' is not an IP address", Assert.Throws<IngestStartupException>(listener.Bind).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyedSequencer_WorkForOneKey_RunsInArrivalOrderWhileOtherKeysRunAlongside()
    {
        var sequencer = new KeyedSequencer();
        var gate = new TaskCompletionSource();
        var order = new List<int>();
        var first = sequencer.RunAsync("encounter-1", async () => { await gate.Task; lock (order) { order.Add(1); } return 1; }, CancellationToken.None);
        var second = sequencer.RunAsync("encounter-1", () => { lock (order) { order.Add(2); } return Task.FromResult(2); }, CancellationToken.None);
        var other = await sequencer.RunAsync("encounter-2", () => { lock (order) { order.Add(3); } return Task.FromResult(3); }, CancellationToken.None);

        gate.SetResult();
        await Task.WhenAll(first, second);

        Assert.Equal(3, other);
        Assert.Equal([3, 1, 2], order);
    }

    private static MllpListener Listener(TimeProvider clock, int port) =>
        new(new Echo(), Options.Create(new IngestOptions { Mllp = new MllpOptions { Port = port, IdleTimeout = TimeSpan.FromMinutes(5) } }), clock, NullLogger<MllpListener>.Instance);

    // Acknowledges each frame with "ACK:" and its payload.
    private sealed class Echo : IMllpHandler
    {
        public Task<byte[]> HandleAsync(MllpFrame frame, string peer, CancellationToken ct) => Task.FromResult("ACK:"u8.ToArray().Concat(frame.Content).ToArray());
    }
}
