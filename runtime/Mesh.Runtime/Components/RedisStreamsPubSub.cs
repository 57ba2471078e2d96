using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Mesh.Runtime.Components;

/// <summary>
/// <c>pubsub.redis</c> on Redis Streams, laid out as Dapr lays it out: a topic is a stream of entries
/// <c>data</c> (the bytes) and <c>metadata</c> (a JSON map); a subscription is a consumer group whose group
/// and consumer names are both the group id. A handler that returns acknowledges its entry (XACK); one that
/// throws leaves it pending, and every <c>redeliverInterval</c> entries pending for <c>processingTimeout</c>
/// are claimed (XCLAIM) and handed to the handler again, including those a stopped subscriber left behind.
/// </summary>
/// <remarks>
/// Each subscription reads with a blocking XREADGROUP on a connection of its own: StackExchange.Redis
/// multiplexes every command of a connection over one socket, so a blocking read on the shared connection
/// would stall all other traffic. A dedicated connection keeps delivery immediate without polling, and
/// disposing closes it, which ends a blocked read at once. Like Dapr 1.14–1.16, a failed handler's entry is
/// not acknowledged; unlike Dapr, whose workers serve the whole component, <c>concurrency</c> applies to each
/// subscription.
/// </remarks>
public sealed partial class RedisStreamsPubSub : IPubSub, IComponentHealth
{
    /// <summary>The component type.</summary>
    public const string ComponentType = "pubsub.redis";

    private readonly ConfigurationOptions options;
    private readonly Task<ConnectionMultiplexer> connecting;
    private readonly Lock gate = new();
    private readonly HashSet<RedisStreamSubscription> subscriptions = [];
    private bool disposed;

    /// <summary>Reads the component's metadata and starts connecting; operations wait for the connection.</summary>
    /// <param name="definition">The component.</param>
    /// <param name="logger">Where failures of the background reads and redeliveries go.</param>
    /// <param name="time">The clock of redeliverInterval, processingTimeout and pauses; the system clock by default.
    /// Which entries are idle long enough to claim is still Redis's call, on its own clock.</param>
    /// <exception cref="ComponentException">The metadata is invalid.</exception>
    public RedisStreamsPubSub(ComponentDefinition definition, ILogger? logger = null, TimeProvider? time = null)
    {
        (options, Settings) = Parse(definition);
        Logger = logger ?? NullLogger.Instance;
        Time = time ?? TimeProvider.System;
        connecting = ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>The stream settings of the metadata.</summary>
    internal StreamSettings Settings { get; }

    /// <summary>Where background failures go.</summary>
    internal ILogger Logger { get; }

    /// <summary>The clock of redeliveries, processing timeouts and pauses.</summary>
    internal TimeProvider Time { get; }

    /// <inheritdoc />
    public async Task PublishAsync(string topic, ReadOnlyMemory<byte> data, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var database = (await connecting.WaitAsync(cancellationToken)).GetDatabase();
        NameValueEntry[] fields = [new("data", data), new("metadata", JsonSerializer.Serialize(metadata))];
        await database.StreamAddAsync(
            topic,
            fields,
            maxLength: Settings.MaxLenApprox > 0 ? Settings.MaxLenApprox : null,
            useApproximateMaxLength: true).WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IAsyncDisposable> SubscribeAsync(TopicSubscribeRequest request, Func<TopicMessage, CancellationToken, Task> handler, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var (topic, consumerGroup) = (request.Topic, request.ConsumerGroup);
        var database = (await connecting.WaitAsync(cancellationToken)).GetDatabase();
        await CreateGroupAsync(database, topic, consumerGroup).WaitAsync(cancellationToken);

        var readerOptions = options.Clone();
        readerOptions.Protocol = RedisProtocol.Resp2; // Entries parses the RESP2 reply shape
        readerOptions.AsyncTimeout = (int)(Settings.BlockFor + TimeSpan.FromSeconds(5)).TotalMilliseconds; // outlast BLOCK
        readerOptions.CommandMap = CommandMap.Create(["SUBSCRIBE"], available: false); // so it opens no pub/sub socket
        var reader = await ConnectionMultiplexer.ConnectAsync(readerOptions);
        var subscription = new RedisStreamSubscription(this, topic, consumerGroup, Math.Max(Settings.Concurrency, request.MinimumConcurrency), handler, database, reader);
        lock (gate)
        {
            if (disposed)
            {
                reader.Dispose();
                throw new ObjectDisposedException(GetType().FullName);
            }

            subscriptions.Add(subscription);
        }

        subscription.Start();
        return subscription;
    }

    /// <inheritdoc />
    public Task<bool> IsHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken) => RedisHealth.PingAsync(connecting, timeout, cancellationToken);

    /// <summary>Stops every subscription (waiting for handlers in flight), then closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        RedisStreamSubscription[] open;
        lock (gate)
        {
            disposed = true;
            open = [.. subscriptions];
        }

        foreach (var subscription in open)
        {
            await subscription.DisposeAsync();
        }

        await (await connecting).DisposeAsync();
    }

    /// <summary>Validates the metadata: the connection settings and the stream settings.</summary>
    internal static (ConfigurationOptions Options, StreamSettings Settings) Parse(ComponentDefinition definition)
    {
        var metadata = new ComponentMetadata(definition);
        var readTimeout = metadata.Duration("readTimeout", TimeSpan.Zero);
        return (RedisConnection.Options(metadata), new StreamSettings(
            ProcessingTimeout: metadata.Duration("processingTimeout", TimeSpan.FromSeconds(60)),
            RedeliverInterval: metadata.Duration("redeliverInterval", TimeSpan.FromSeconds(15)),
            QueueDepth: (int)metadata.Integer("queueDepth", 100, minimum: 1),
            Concurrency: (int)metadata.Integer("concurrency", 10, minimum: 1),
            MaxLenApprox: metadata.Integer("maxLenApprox", 0, minimum: 0),
            BlockFor: readTimeout > TimeSpan.Zero ? readTimeout : TimeSpan.FromSeconds(2)));
    }

    /// <summary>Stops tracking a subscription that is being disposed; false when it already was.</summary>
    internal bool Forget(RedisStreamSubscription subscription)
    {
        lock (gate)
        {
            return subscriptions.Remove(subscription);
        }
    }

    /// <summary>Creates the consumer group at the start of the stream, or keeps the one that exists.</summary>
    internal static async Task CreateGroupAsync(IDatabase database, string topic, string group)
    {
        try
        {
            // From position 0, so that a new group also gets what was published before it existed.
            await database.StreamCreateConsumerGroupAsync(topic, group, "0", createStream: true);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // The group exists and keeps its position.
        }
    }

    /// <summary>A stream entry as the handler gets it; metadata that is not a JSON map is logged and left out.</summary>
    internal TopicMessage ToMessage(string topic, string id, RedisValue data, RedisValue metadata)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!metadata.IsNullOrEmpty)
        {
            try
            {
                values = JsonSerializer.Deserialize<Dictionary<string, string>>((string)metadata!) ?? values;
            }
            catch (JsonException e)
            {
                // Dapr also delivers the data of an entry whose metadata it cannot read.
                LogBadMetadata(Logger, id, topic, Sidecar.SafeLog.Describe(e));
            }
        }

        return new TopicMessage(id, topic, data.IsNull ? ReadOnlyMemory<byte>.Empty : (byte[])data!, values);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "pubsub.redis: reading stream {Topic} as group {Group} failed; retrying")]
    internal static partial void LogReadFailed(ILogger logger, string topic, string group, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pubsub.redis: consumer group {Group} of stream {Topic} is gone (data loss, or deleted); recreating it")]
    internal static partial void LogGroupRecreated(ILogger logger, string topic, string group);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pubsub.redis: redelivering pending entries of stream {Topic} for group {Group} failed")]
    internal static partial void LogRedeliveryFailed(ILogger logger, string topic, string group, Exception exception);

    // The handler's failure is named by its type: its message may repeat what the app answered.
    [LoggerMessage(Level = LogLevel.Debug, Message = "pubsub.redis: handler failed for entry {Id} of stream {Topic} ({Error}); it stays pending and is redelivered")]
    internal static partial void LogHandlerFailed(ILogger logger, string id, string topic, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pubsub.redis: acknowledging entry {Id} of stream {Topic} failed; it will be redelivered")]
    internal static partial void LogAckFailed(ILogger logger, string id, string topic, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pubsub.redis: metadata of entry {Id} of stream {Topic} is not a JSON map of strings ({Error}); delivering without it")]
    internal static partial void LogBadMetadata(ILogger logger, string id, string topic, string error);

    /// <summary>The stream settings of Dapr's pubsub.redis metadata.</summary>
    /// <param name="ProcessingTimeout">How long an entry stays pending before it is claimed again; zero disables redelivery.</param>
    /// <param name="RedeliverInterval">How often pending entries are checked; zero disables redelivery.</param>
    /// <param name="QueueDepth">Entries read (and checked for redelivery) at a time.</param>
    /// <param name="Concurrency">Handlers running at once, per subscription (more when the subscription asks for more).</param>
    /// <param name="MaxLenApprox">Approximate stream length kept on publish (MAXLEN ~); zero keeps everything.</param>
    /// <param name="BlockFor">How long one XREADGROUP waits for entries (readTimeout, default 2s).</param>
    internal sealed record StreamSettings(TimeSpan ProcessingTimeout, TimeSpan RedeliverInterval, int QueueDepth, int Concurrency, long MaxLenApprox, TimeSpan BlockFor)
    {
        /// <summary>Whether pending entries are claimed again at all.</summary>
        public bool Redelivers => ProcessingTimeout > TimeSpan.Zero && RedeliverInterval > TimeSpan.Zero;
    }
}
