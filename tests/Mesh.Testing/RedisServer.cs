using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Mesh.Testing;

/// <summary>
/// A real redis-server on a free loopback port, with its data in a temporary folder; stopped and
/// removed on dispose. Tests never share a Redis with anything else. A chaos test can stop it and start it
/// again on the same port and folder (<see cref="StopAsync"/>, <see cref="StartAgainAsync"/>).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly string folder;
    private readonly bool appendOnly;
    private Process process;

    private RedisServer(Process process, string folder, int port, bool appendOnly)
    {
        this.process = process;
        this.folder = folder;
        this.appendOnly = appendOnly;
        Port = port;
    }

    /// <summary>The port redis-server listens on, on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The redis-server process's id (for a benchmark that reads its resident memory).</summary>
    public int ProcessId => process.Id;

    /// <summary>The CPU time redis-server has used so far (for a benchmark's work per event).</summary>
    public TimeSpan CpuTime => process.TotalProcessorTime;

    /// <summary>A StackExchange.Redis connection string for this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Starts redis-server and waits until it answers PING.</summary>
    public static async Task<RedisServer> StartAsync(bool appendOnly = false)
    {
        var folder = Directory.CreateTempSubdirectory("mesh-redis-").FullName;
        for (var attempt = 0; ; attempt++)
        {
            var port = Mesh.Runtime.LoopbackPorts.Free();
            var process = Launch(port, folder, appendOnly);
            if (await AnswersPingAsync(port, process))
            {
                return new RedisServer(process, folder, port, appendOnly);
            }

            process.Kill();
            if (attempt == 3)
            {
                throw new InvalidOperationException($"redis-server did not answer on 127.0.0.1:{port}");
            }
        }
    }

    /// <summary>Stops the server as an operator would (SIGTERM: it writes its append-only file and exits) and waits until it is gone.</summary>
    public async Task StopAsync()
    {
        Mesh.Runtime.Hosting.ProcessSignals.Terminate(process.Id);
        await process.WaitForExitAsync();
    }

    /// <summary>Starts the server again on the same port and folder (the append-only file brings its data back); waits until it answers.</summary>
    public async Task StartAgainAsync()
    {
        process.Dispose();
        process = Launch(Port, folder, appendOnly);
        if (!await AnswersPingAsync(Port, process))
        {
            throw new InvalidOperationException($"redis-server did not answer again on 127.0.0.1:{Port}");
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    private static Process Launch(int port, string folder, bool appendOnly)
    {
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        foreach (var argument in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--dir", folder, "--save", "", "--appendonly", appendOnly ? "yes" : "no" })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start; is it installed?");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>True once redis-server answers PING on the port, false when it exits or never answers.</summary>
    private static async Task<bool> AnswersPingAsync(int port, Process process)
    {
        for (var i = 0; i < 100 && !process.HasExited; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray());
                var buffer = new byte[16];
                var read = await stream.ReadAsync(buffer);
                if (read > 0 && buffer[0] == (byte)'+')
                {
                    return true;
                }
            }
            catch (SocketException)
            {
                // not listening yet
            }

            await Task.Delay(50);
        }

        return false;
    }
}
