using System.Net;
using System.Net.Sockets;
using System.IO.Pipelines;
using Microsoft.Extensions.Options;

namespace Mesh.Ingest.Mllp;

/// <summary>A setting the app cannot start with, said in one line.</summary>
public sealed class IngestStartupException(string message) : Exception(message);

/// <summary>Answers one MLLP frame with the bytes of its acknowledgment (unframed).</summary>
public interface IMllpHandler
{
    /// <summary>The acknowledgment of <paramref name="frame"/> from <paramref name="peer"/>.</summary>
    Task<byte[]> HandleAsync(MllpFrame frame, string peer, CancellationToken ct);
}

/// <summary>
/// A TCP listener speaking MLLP: each connection's frames are answered one at a time, in order, each with the
/// handler's acknowledgment. A bad frame gets its answer and the connection goes on; bytes outside frames are
/// skipped; a connection idle for <see cref="MllpOptions.IdleTimeout"/> is closed; a handler failure answers
/// nothing and closes that connection only. The listener itself never stops for a connection's sake.
/// </summary>
public sealed class MllpListener(IMllpHandler handler, IOptions<IngestOptions> options, TimeProvider clock, ILogger<MllpListener> logger)
    : BackgroundService
{
    private readonly TaskCompletionSource<IPEndPoint> bound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? socket;

    /// <summary>The address the listener is bound to, once it is.</summary>
    public Task<IPEndPoint> EndpointAsync => bound.Task;

    /// <summary>
    /// Binds the listening socket (once): an operator's mistake, a port in use or an address that is not one, is
    /// an <see cref="IngestStartupException"/> with one clear line, before the app starts.
    /// </summary>
    public void Bind()
    {
        var settings = options.Value.Mllp;
        if (!settings.Enabled || socket is not null)
        {
            return;
        }

        if (!IPAddress.TryParse(settings.Address, out var address))
        {
            throw new IngestStartupException($"Ingest:Mllp:Address '{settings.Address}' is not an IP address; use 127.0.0.1 (or 0.0.0.0 to listen on every interface)");
        }

        var listening = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listening.Bind(new IPEndPoint(address, settings.Port));
            listening.Listen(settings.MaxConnections);
        }
        catch (SocketException e)
        {
            listening.Dispose();
            throw new IngestStartupException(e.SocketErrorCode == SocketError.AddressAlreadyInUse
                ? $"the MLLP port {settings.Address}:{settings.Port} is in use; stop what holds it or set Ingest:Mllp:Port"
                : $"the MLLP listener cannot bind {settings.Address}:{settings.Port} ({e.SocketErrorCode}); set Ingest:Mllp:Address and Ingest:Mllp:Port");
        }

        socket = listening;
        var endpoint = (IPEndPoint)socket.LocalEndPoint!;
        bound.TrySetResult(endpoint);
        logger.LogInformation("MLLP listener on {Address}:{Port}", endpoint.Address, endpoint.Port);
    }

    /// <inheritdoc />
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.Mllp.Enabled)
        {
            return Task.CompletedTask;
        }

        Bind();
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Mllp;
        using var slots = new SemaphoreSlim(settings.MaxConnections);
        var connections = new List<Task>();
        using var _ = socket;
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                await slots.WaitAsync(stoppingToken);
                client = await socket!.AcceptAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            connections.RemoveAll(t => t.IsCompleted);
            connections.Add(Task.Run(async () =>
            {
                try
                {
                    await ServeAsync(client, settings, stoppingToken);
                }
                finally
                {
                    slots.Release();
                }
            }, CancellationToken.None));
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(Socket client, MllpOptions settings, CancellationToken stoppingToken)
    {
        var peer = client.RemoteEndPoint?.ToString() ?? "unknown";
        await using var stream = new NetworkStream(client, ownsSocket: true);
        var reader = PipeReader.Create(stream);
        var framer = new MllpFramer(settings.MaxMessageBytes);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                using var idle = new CancellationTokenSource(settings.IdleTimeout, clock);
                using var read = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, idle.Token);
                MllpFrame? frame;
                try
                {
                    frame = await framer.ReadAsync(reader, read.Token);
                }
                catch (OperationCanceledException) when (idle.IsCancellationRequested)
                {
                    logger.LogInformation("Closed MLLP connection {Peer}: idle for {Timeout}{Partial}", peer, settings.IdleTimeout, framer.InFrame ? " inside an unfinished frame" : "");
                    return;
                }

                if (frame is null)
                {
                    if (framer.InFrame)
                    {
                        logger.LogWarning("MLLP connection {Peer} closed inside a frame; the cut-off message was not answered and not kept", peer);
                    }

                    return;
                }

                var ack = await handler.HandleAsync(frame, peer, stoppingToken);
                await stream.WriteAsync(MllpFramer.Wrap(ack), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the sender resends what was not acknowledged.
        }
        catch (IOException)
        {
            // The peer went away.
        }
        catch (Exception e)
        {
            // A message this app failed on is not acknowledged, so the sender keeps and resends it.
            logger.LogError(e, "MLLP connection {Peer} closed after a failure; its unacknowledged message will be resent", peer);
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }
}
