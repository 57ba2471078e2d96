using System.Net;
using System.Net.Sockets;
using Mesh.Runtime.Hosting;
using Mesh.Runtime.Components;
using Mesh.Runtime.Tests.Configuration;
using Mesh.Testing;

namespace Mesh.Runtime.Tests.Cli;

/// <summary>mesh starting (and stopping) the redis-server that local Redis components point at.</summary>
public sealed class LocalRedisTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly CapturedOutput output = new();
    private readonly CapturedOutput error = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task StartAsync_NothingListens_StartsAppendOnlyRedisUnderTheRunFolderAndStopsIt()
    {
        var port = Mesh.Runtime.LoopbackPorts.Free();
        ComponentDefinition[] components =
        [
            Redis("statestore", "state.redis", $"localhost:{port}"),
            Redis("pubsub", "pubsub.redis", $"127.0.0.1:{port}"),
        ];

        var redis = await LocalRedis.StartAsync(components, folder.Path, output.Writer, error.Writer, CancellationToken.None);
        var reply = await PingAsync(port);
        var data = Path.Combine(folder.Path, ".mesh", $"redis-{port}");
        var appendOnly = Directory.EnumerateFileSystemEntries(data, "appendonly*").Any();
        await redis.DisposeAsync();

        Assert.Equal("+PONG", reply);
        Assert.True(appendOnly, "no append-only file in " + data);
        Assert.Equal(
            [$"mesh: started redis-server on 127.0.0.1:{port} (data in {data}); it stops when mesh stops", $"mesh: stopped redis-server on 127.0.0.1:{port}"],
            output.Lines);
        await Assert.ThrowsAnyAsync<SocketException>(() => PingAsync(port));
    }

    [Fact]
    public async Task StartAsync_DataToLoad_ReturnsOnceRedisAnswersCommands()
    {
        var port = Mesh.Runtime.LoopbackPorts.Free();
        ComponentDefinition[] components = [Redis("statestore", "state.redis", $"127.0.0.1:{port}")];
        var value = new string('x', 1 << 20);
        await using (var first = await LocalRedis.StartAsync(components, folder.Path, output.Writer, error.Writer, CancellationToken.None))
        {
            await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}");
            await Task.WhenAll(Enumerable.Range(0, 300).Select(i => connection.GetDatabase().StringSetAsync($"k{i}", value)));
        }

        // 300 MiB in the append-only file: Redis answers -LOADING for a while after it listens.
        await using var again = await LocalRedis.StartAsync(components, folder.Path, output.Writer, error.Writer, CancellationToken.None);

        Assert.Equal("+PONG", await PingAsync(port));
    }

    [Fact]
    public async Task StartAsync_PasswordInMetadata_RedisRequiresIt()
    {
        var port = Mesh.Runtime.LoopbackPorts.Free();

        await using var redis = await LocalRedis.StartAsync(
            [Redis("statestore", "state.redis", $"127.0.0.1:{port}", ("redisPassword", "s3cret"))], folder.Path, output.Writer, error.Writer, CancellationToken.None);

        Assert.StartsWith("-NOAUTH", await PingAsync(port), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_RedisAlreadyListens_StartsNothing()
    {
        await using var running = await RedisServer.StartAsync();

        await using var redis = await LocalRedis.StartAsync(
            [Redis("statestore", "state.redis", running.ConnectionString)], folder.Path, output.Writer, error.Writer, CancellationToken.None);

        Assert.Equal("", output.ToString());
        Assert.False(Directory.Exists(Path.Combine(folder.Path, ".mesh")));
    }

    [Theory]
    [InlineData("state.redis", "10.1.2.3:6379")]
    [InlineData("state.in-memory", "127.0.0.1:{port}")]
    [InlineData("pubsub.redis", "127.0.0.1:{port}", "redisType", "cluster")]
    [InlineData("pubsub.redis", "127.0.0.1:{port}", "enableTLS", "true")]
    public async Task StartAsync_NotAPlainLocalRedis_StartsNothing(string type, string host, string? name = null, string? value = null)
    {
        var port = Mesh.Runtime.LoopbackPorts.Free();
        var metadata = name is null ? [] : new[] { (name, value!) };

        await using var redis = await LocalRedis.StartAsync(
            [Redis("c", type, host.Replace("{port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), metadata)],
            folder.Path, output.Writer, error.Writer, CancellationToken.None);

        Assert.Equal("", output.ToString());
        await Assert.ThrowsAnyAsync<SocketException>(() => PingAsync(port));
    }

    private static ComponentDefinition Redis(string name, string type, string host, params (string Name, string Value)[] more)
    {
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["redisHost"] = host };
        foreach (var (key, value) in more)
        {
            metadata[key] = value;
        }

        return new ComponentDefinition(name, type, "v1", metadata, [], "components/test.yaml");
    }

    private static async Task<string> PingAsync(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        using var reader = new StreamReader(client.GetStream());
        await client.GetStream().WriteAsync("PING\r\n"u8.ToArray());
        return await reader.ReadLineAsync() ?? "";
    }
}
