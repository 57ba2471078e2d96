using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;

namespace Mesh.Ingest.Mllp;

/// <summary>
/// The sending side of MLLP: frames a message, sends it and waits for the acknowledgment frame. Used by the
/// <c>mllp-send</c> command, the tests and the benchmark.
/// </summary>
public sealed class MllpClient : IAsyncDisposable
{
    private readonly TcpClient tcp;
    private readonly NetworkStream stream;
    private readonly PipeReader reader;
    private readonly MllpFramer framer = new(16 * 1024 * 1024);

    private MllpClient(TcpClient tcp)
    {
        this.tcp = tcp;
        stream = tcp.GetStream();
        reader = PipeReader.Create(stream);
    }

    /// <summary>Connects to an MLLP listener.</summary>
    public static async Task<MllpClient> ConnectAsync(string host, int port, CancellationToken ct)
    {
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(host, port, ct);
        return new MllpClient(tcp);
    }

    /// <summary>Sends one framed message and returns the acknowledgment's text.</summary>
    public async Task<string> SendAsync(string message, CancellationToken ct) => await SendAsync(Encoding.UTF8.GetBytes(message), ct);

    /// <summary>Sends one framed message and returns the acknowledgment's text.</summary>
    public async Task<string> SendAsync(ReadOnlyMemory<byte> message, CancellationToken ct)
    {
        await WriteRawAsync(MllpFramer.Wrap(message.Span), ct);
        return await ReadAckAsync(ct) ?? throw new IOException("the listener closed the connection without an acknowledgment");
    }

    /// <summary>Writes bytes as they are, framed or not (for tests of bad input).</summary>
    public async Task WriteRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct) => await stream.WriteAsync(bytes, ct);

    /// <summary>The next acknowledgment's text, or null when the listener closed the connection.</summary>
    public async Task<string?> ReadAckAsync(CancellationToken ct) =>
        await framer.ReadAsync(reader, ct) is { } frame ? Encoding.UTF8.GetString(frame.Content) : null;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await reader.CompleteAsync();
        await stream.DisposeAsync();
        tcp.Dispose();
    }
}
