using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Mesh.Testing;

/// <summary>
/// A real redis-server on a free loopback port, with its data in a temporary folder; stopped and
/// removed on dispose. Tests never share a Redis with anything else.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly string folder;

    private RedisServer(Process process, string folder, int port)
    {
        this.process = process;
        this.folder = folder;
        Port = port;
    }

    /// <summary>The port redis-server listens on, on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis connection string for this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>Starts redis-server and waits until it answers PING.</summary>
    public static async Task<RedisServer> StartAsync(bool appendOnly = false)
    {
        var folder = Directory.CreateTempSubdirectory("mesh-redis-").FullName;
        for (var attempt = 0; ; attempt++)
        {
            var port = Mesh.Runtime.LoopbackPorts.Free();
            var start = new ProcessStartInfo("redis-server")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = folder,
            };
            foreach (var argument in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--dir", folder, "--save", "", "--appendonly", appendOnly ? "yes" : "no" })
            {
                start.ArgumentList.Add(argument);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start; is it installed?");
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (await AnswersPingAsync(port, process))
            {
                return new RedisServer(process, folder, port);
            }

            process.Kill();
            if (attempt == 3)
            {
                throw new InvalidOperationException($"redis-server did not answer on 127.0.0.1:{port}");
            }
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
