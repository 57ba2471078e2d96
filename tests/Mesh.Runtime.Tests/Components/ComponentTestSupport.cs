using System.Threading.Channels;
using Mesh.Runtime.Components;
using Mesh.Testing;
using StackExchange.Redis;

namespace Mesh.Runtime.Tests.Components;

/// <summary>One real redis-server per test class, plus a plain connection for looking at what the components wrote.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    public ConnectionMultiplexer Connection { get; private set; } = null!;

    public IDatabase Database => Connection.GetDatabase();

    public async Task InitializeAsync()
    {
        Server = await RedisServer.StartAsync();
        Connection = await ConnectionMultiplexer.ConnectAsync($"{Server.ConnectionString},allowAdmin=true");
    }

    public async Task DisposeAsync()
    {
        await Connection.DisposeAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>Builds component definitions as the component loader would.</summary>
public static class TestComponents
{
    public const string SourceFile = "components/test.yaml";

    /// <summary>A definition whose metadata is <paramref name="metadata"/>, later entries replacing earlier ones of the same name.</summary>
    public static ComponentDefinition Define(string name, string type, params (string Name, string Value)[] metadata)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in metadata)
        {
            values[key] = value;
        }

        return new(name, type, "v1", values, [], SourceFile);
    }

    /// <summary>A fresh name, so tests sharing a Redis never see each other's keys, topics or groups.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}

/// <summary>Collects what a subscription's handler receives, in order, and lets a test await it.</summary>
public sealed class Deliveries
{
    private readonly Channel<TopicMessage> received = Channel.CreateUnbounded<TopicMessage>();

    /// <summary>A handler that records the message and then runs <paramref name="then"/> (which may throw to refuse it).</summary>
    public Func<TopicMessage, CancellationToken, Task> Handler(Func<TopicMessage, CancellationToken, Task>? then = null) =>
        async (message, cancellationToken) =>
        {
            received.Writer.TryWrite(message);
            if (then is not null)
            {
                await then(message, cancellationToken);
            }
        };

    /// <summary>The next delivery; fails the test when none comes within <paramref name="timeout"/> (default 10s).</summary>
    public async Task<TopicMessage> NextAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            return await received.Reader.ReadAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("no delivery came");
        }
    }

    /// <summary>True when nothing more is delivered during <paramref name="quiet"/> (for components on their own clock, as Redis is).</summary>
    public async Task<bool> NoneWithinAsync(TimeSpan quiet)
    {
        await Task.Delay(quiet);
        return !HasUnread;
    }

    /// <summary>Whether a delivery came that <see cref="NextAsync"/> has not read yet.</summary>
    public bool HasUnread => received.Reader.TryPeek(out _);
}
