using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Mesh.Runtime.Components;

namespace Mesh.Runtime.Hosting;

/// <summary>
/// The redis-server processes mesh starts because a state.redis or pubsub.redis component points at
/// 127.0.0.1 or localhost where nothing listens (what <c>dapr init</c> would have provided). Data stays
/// under &lt;run file folder&gt;/.mesh/redis-&lt;port&gt;/ with the append-only file on; the servers stop with mesh.
/// </summary>
internal sealed class LocalRedis : IAsyncDisposable
{
    private static readonly string[] RedisTypes = ["state.redis", "pubsub.redis"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    private readonly List<(int Port, Process Process)> servers = [];
    private readonly TextWriter output;

    private LocalRedis(TextWriter output) => this.output = output;

    /// <summary>Starts a redis-server for each local Redis port the components use where nothing listens.</summary>
    /// <exception cref="InvalidOperationException">A redis-server did not start; the message names its log.</exception>
    public static async Task<LocalRedis> StartAsync(
        IEnumerable<ComponentDefinition> components, string runFileFolder, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var wanted = new SortedDictionary<int, string>();
        foreach (var component in components.Where(c => RedisTypes.Contains(c.Type, StringComparer.OrdinalIgnoreCase)))
        {
            if (LocalPort(component) is { } port)
            {
                wanted.TryAdd(port, Metadata(component, "redisPassword") ?? "");
            }
        }

        var redis = new LocalRedis(output);
        try
        {
            foreach (var (port, password) in wanted)
            {
                if (await ProbeAsync(port, cancellationToken) is not Probe.Nothing)
                {
                    await redis.AwaitLoadedAsync(port, null, cancellationToken);
                    continue;
                }

                if (Executables.Find("redis-server") is not { } program)
                {
                    await error.WriteLineAsync($"mesh: nothing listens on 127.0.0.1:{port} and redis-server is not on PATH; start a Redis there (or install redis-server)");
                    continue;
                }

                await redis.StartServerAsync(program, port, password, Path.Combine(runFileFolder, ".mesh", $"redis-{port}"), cancellationToken);
            }
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }

        return redis;
    }

    /// <summary>Stops every server mesh started (SIGTERM, so Redis flushes its append-only file; killed after a grace period).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var (port, process) in servers)
        {
            if (!process.HasExited)
            {
                using var grace = new CancellationTokenSource(StopGrace);
                try
                {
                    if (!ProcessSignals.Terminate(process.Id))
                    {
                        process.Kill();
                    }

                    await process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill();
                    await process.WaitForExitAsync();
                }

                await output.WriteLineAsync($"mesh: stopped redis-server on 127.0.0.1:{port}");
            }

            process.Dispose();
        }

        servers.Clear();
    }

    // The port of a component's redisHost when it is a plain local node (no cluster, sentinel or TLS).
    private static int? LocalPort(ComponentDefinition component)
    {
        if (Metadata(component, "redisHost") is not { Length: > 0 } host
            || Metadata(component, "redisType") is { Length: > 0 } type && !type.Equals("node", StringComparison.OrdinalIgnoreCase)
            || Metadata(component, "failover") is { } failover && failover.Equals("true", StringComparison.OrdinalIgnoreCase)
            || Metadata(component, "enableTLS") is { } tls && tls.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var colon = host.LastIndexOf(':');
        var name = colon < 0 ? host : host[..colon];
        if (name is not ("127.0.0.1" or "localhost"))
        {
            return null;
        }

        return colon < 0 ? 6379 : int.TryParse(host[(colon + 1)..], out var port) && port is > 0 and <= 65535 ? port : null;
    }

    private static string? Metadata(ComponentDefinition component, string name) =>
        component.Metadata.FirstOrDefault(item => item.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    private async Task StartServerAsync(string program, int port, string password, string folder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var log = Path.Combine(folder, "redis.log");
        var start = new ProcessStartInfo(program) { WorkingDirectory = folder, UseShellExecute = false };
        string[] arguments = ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", folder, "--appendonly", "yes", "--logfile", log];
        foreach (var argument in password.Length > 0 ? [.. arguments, "--requirepass", password] : arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"redis-server did not start on 127.0.0.1:{port}");
        servers.Add((port, process));
        var clock = Stopwatch.StartNew();
        while (await ProbeAsync(port, cancellationToken) is Probe.Nothing)
        {
            if (process.HasExited || clock.Elapsed > StartTimeout)
            {
                throw new InvalidOperationException($"redis-server did not start on 127.0.0.1:{port}; see {log}");
            }

            await Task.Delay(50, cancellationToken);
        }

        await AwaitLoadedAsync(port, process, cancellationToken);
        await output.WriteLineAsync($"mesh: started redis-server on 127.0.0.1:{port} (data in {folder}); it stops when mesh stops");
    }

    // A Redis answers LOADING to every command until its data is in memory, which takes a while for a large append-only
    // file: the sidecars would fail on their first command. Waits as long as it loads (it ends, or the server exits).
    private async Task AwaitLoadedAsync(int port, Process? process, CancellationToken cancellationToken)
    {
        var told = false;
        while (await ProbeAsync(port, cancellationToken) is Probe.Loading)
        {
            if (process?.HasExited == true)
            {
                throw new InvalidOperationException($"redis-server on 127.0.0.1:{port} exited while loading its data");
            }

            if (!told)
            {
                await output.WriteLineAsync($"mesh: redis-server on 127.0.0.1:{port} is loading its data; waiting");
                told = true;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private enum Probe
    {
        Nothing,
        Loading,
        Answers,
    }

    // Something that answers PING (+PONG, or -NOAUTH when it wants a password) is a Redis server; -LOADING is one that
    // is still reading its data.
    private static async Task<Probe> ProbeAsync(int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer, timeout.Token);
            return read == 0 ? Probe.Nothing : buffer.AsSpan(0, read).StartsWith("-LOADING"u8) ? Probe.Loading : Probe.Answers;
        }
        catch (Exception e) when (e is SocketException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return Probe.Nothing;
        }
    }
}
