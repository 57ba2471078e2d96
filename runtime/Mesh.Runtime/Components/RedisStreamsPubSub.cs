using System.Text.Json;
using System.Threading.Channels;
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
public sealed partial class RedisStreamsPubSub : IPubSub
{
    /// <summary>The component type.</summary>
    public const string ComponentType = "pubsub.redis";

    private static readonly TimeSpan ErrorPause = TimeSpan.FromSeconds(1);

    private readonly ConfigurationOptions options;
    private readonly StreamSettings settings;
    private readonly Task<ConnectionMultiplexer> connecting;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly Lock gate = new();
    private readonly HashSet<Subscription> subscriptions = [];
    private bool disposed;

    /// <summary>Reads the component's metadata and starts connecting; operations wait for the connection.</summary>
    /// <param name="definition">The component.</param>
    /// <param name="logger">Where failures of the background reads and redeliveries go.</param>
    /// <param name="time">The clock of redeliverInterval, processingTimeout and pauses; the system clock by default.
    /// Which entries are idle long enough to claim is still Redis's call, on its own clock.</param>
    /// <exception cref="ComponentException">The metadata is invalid.</exception>
    public RedisStreamsPubSub(ComponentDefinition definition, ILogger? logger = null, TimeProvider? time = null)
    {
        (options, settings) = Parse(definition);
        this.logger = logger ?? NullLogger.Instance;
        this.time = time ?? TimeProvider.System;
        connecting = ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <inheritdoc />
    public async Task PublishAsync(string topic, ReadOnlyMemory<byte> data, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var database = (await connecting.WaitAsync(cancellationToken)).GetDatabase();
        NameValueEntry[] fields = [new("data", data), new("metadata", JsonSerializer.Serialize(metadata))];
        await database.StreamAddAsync(
            topic,
            fields,
            maxLength: settings.MaxLenApprox > 0 ? settings.MaxLenApprox : null,
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
        readerOptions.AsyncTimeout = (int)(settings.BlockFor + TimeSpan.FromSeconds(5)).TotalMilliseconds; // outlast BLOCK
        readerOptions.CommandMap = CommandMap.Create(["SUBSCRIBE"], available: false); // so it opens no pub/sub socket
        var reader = await ConnectionMultiplexer.ConnectAsync(readerOptions);
        var subscription = new Subscription(this, topic, consumerGroup, Math.Max(settings.Concurrency, request.MinimumConcurrency), handler, database, reader);
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

    /// <summary>Stops every subscription (waiting for handlers in flight), then closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        Subscription[] open;
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

    private static async Task CreateGroupAsync(IDatabase database, string topic, string group)
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

    private TopicMessage ToMessage(string topic, string id, RedisValue data, RedisValue metadata)
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
                LogBadMetadata(logger, id, topic, e);
            }
        }

        return new TopicMessage(id, topic, data.IsNull ? ReadOnlyMemory<byte>.Empty : (byte[])data!, values);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "pubsub.redis: reading stream {Topic} as group {Group} failed; retrying")]
    private static partial void LogReadFailed(ILogger logger, string topic, string group, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pubsub.redis: consumer group {Group} of stream {Topic} is gone (data loss, or deleted); recreating it")]
    private static partial void LogGroupRecreated(ILogger logger, string topic, string group);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pubsub.redis: redelivering pending entries of stream {Topic} for group {Group} failed")]
    private static partial void LogRedeliveryFailed(ILogger logger, string topic, string group, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "pubsub.redis: handler failed for entry {Id} of stream {Topic}; it stays pending and is redelivered")]
    private static partial void LogHandlerFailed(ILogger logger, string id, string topic, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pubsub.redis: acknowledging entry {Id} of stream {Topic} failed; it will be redelivered")]
    private static partial void LogAckFailed(ILogger logger, string id, string topic, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "pubsub.redis: metadata of entry {Id} of stream {Topic} is not a JSON map of strings; delivering without it")]
    private static partial void LogBadMetadata(ILogger logger, string id, string topic, Exception exception);

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

    /// <summary>One consumer group reading one stream: a read loop, a redelivery loop and the handler workers.</summary>
    private sealed class Subscription(
        RedisStreamsPubSub owner,
        string topic,
        string group,
        int concurrency,
        Func<TopicMessage, CancellationToken, Task> handler,
        IDatabase database,
        ConnectionMultiplexer reader) : IAsyncDisposable
    {
        private readonly CancellationTokenSource stopping = new();

        // Bounded like Dapr's queue: reading stops while the handlers are behind.
        private readonly Channel<TopicMessage> queue = Channel.CreateBounded<TopicMessage>(owner.settings.QueueDepth);

        // Handled entries wait here to be acknowledged together: one XACK for many entries instead of one each.
        private readonly Channel<RedisValue> acknowledgements = Channel.CreateUnbounded<RedisValue>(new UnboundedChannelOptions { SingleReader = true });
        private Task running = Task.CompletedTask;
        private Task acknowledging = Task.CompletedTask;

        private StreamSettings Settings => owner.settings;

        public void Start()
        {
            var token = stopping.Token;
            var loops = new List<Task> { Task.Run(() => ReadAsync(token)), Task.Run(() => RedeliverAsync(token)) };
            for (var i = 0; i < concurrency; i++)
            {
                loops.Add(Task.Run(() => WorkAsync(token)));
            }

            running = Task.WhenAll(loops);
            acknowledging = Task.Run(AcknowledgeAsync);
        }

        public async ValueTask DisposeAsync()
        {
            lock (owner.gate)
            {
                if (!owner.subscriptions.Remove(this))
                {
                    return;
                }
            }

            await stopping.CancelAsync();

            // Closing the reader's socket ends a blocked XREADGROUP now instead of after its BLOCK time. Entries
            // it was about to return stay pending in the group and are claimed again later.
            await reader.CloseAsync(allowCommandsToComplete: false);
            await running;
            // Entries already handled are acknowledged before the subscription goes, so they are not delivered again.
            acknowledgements.Writer.Complete();
            await acknowledging;
            await reader.DisposeAsync();
            stopping.Dispose();
        }

        private async Task<bool> PauseAsync(CancellationToken token)
        {
            try
            {
                await Task.Delay(ErrorPause, owner.time, token);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        private async Task ReadAsync(CancellationToken token)
        {
            var readerDatabase = reader.GetDatabase();
            object[] arguments =
            [
                "GROUP", group, group, "COUNT", Settings.QueueDepth, "BLOCK", (long)Settings.BlockFor.TotalMilliseconds,
                "STREAMS", (RedisKey)topic, ">",
            ];
            var recreateGroup = false;
            while (!token.IsCancellationRequested)
            {
                try
                {
                    if (recreateGroup)
                    {
                        LogGroupRecreated(owner.logger, topic, group);
                        await CreateGroupAsync(database, topic, group);
                        recreateGroup = false;
                    }

                    var reply = await readerDatabase.ExecuteAsync("XREADGROUP", arguments);
                    foreach (var message in Entries(reply))
                    {
                        await queue.Writer.WriteAsync(message, token);
                    }
                }
                catch (Exception) when (token.IsCancellationRequested)
                {
                    // Stopping: the closed connection failed the read.
                    return;
                }
                catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
                {
                    recreateGroup = true;
                }
                catch (Exception e)
                {
                    LogReadFailed(owner.logger, topic, group, e);
                    if (!await PauseAsync(token))
                    {
                        return;
                    }
                }
            }
        }

        // XREADGROUP replies [[stream, [[id, [field, value, ...]], ...]]], or nil when BLOCK ran out.
        private List<TopicMessage> Entries(RedisResult reply)
        {
            var messages = new List<TopicMessage>();
            if (reply.IsNull)
            {
                return messages;
            }

            foreach (var stream in (RedisResult[])reply!)
            {
                foreach (var entry in (RedisResult[])((RedisResult[])stream!)[1]!)
                {
                    var parts = (RedisResult[])entry!;
                    var fields = (RedisValue[])parts[1]!;
                    RedisValue data = default, metadata = default;
                    for (var i = 0; i + 1 < fields.Length; i += 2)
                    {
                        if (fields[i] == "data")
                        {
                            data = fields[i + 1];
                        }
                        else if (fields[i] == "metadata")
                        {
                            metadata = fields[i + 1];
                        }
                    }

                    messages.Add(owner.ToMessage(topic, (string)parts[0]!, data, metadata));
                }
            }

            return messages;
        }

        private async Task WorkAsync(CancellationToken token)
        {
            try
            {
                while (await queue.Reader.WaitToReadAsync(token))
                {
                    while (!token.IsCancellationRequested && queue.Reader.TryRead(out var message))
                    {
                        await DeliverAsync(message, token);
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Stopping; entries still queued stay pending and are claimed again later.
            }
        }

        private async Task DeliverAsync(TopicMessage message, CancellationToken token)
        {
            // As in Dapr, a handler gets at most processingTimeout: after that its entry may be claimed again.
            using var timeout = new CancellationTokenSource(Settings.Redelivers ? Settings.ProcessingTimeout : Timeout.InfiniteTimeSpan, owner.time);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);

            try
            {
                await handler(message, attempt.Token);
            }
            catch (Exception e)
            {
                LogHandlerFailed(owner.logger, message.Id, topic, e);
                return;
            }

            acknowledgements.Writer.TryWrite(message.Id);
        }

        // Drains whatever is waiting into one XACK; a failed XACK leaves its entries pending, to be claimed again.
        private async Task AcknowledgeAsync()
        {
            var batch = new List<RedisValue>(Settings.QueueDepth);
            while (await acknowledgements.Reader.WaitToReadAsync())
            {
                while (batch.Count < Settings.QueueDepth && acknowledgements.Reader.TryRead(out var id))
                {
                    batch.Add(id);
                }

                try
                {
                    await database.StreamAcknowledgeAsync(topic, group, [.. batch]);
                }
                catch (RedisException e)
                {
                    LogAckFailed(owner.logger, string.Join(",", batch.Take(3)), topic, e);
                }

                batch.Clear();
            }
        }

        private async Task RedeliverAsync(CancellationToken token)
        {
            if (!Settings.Redelivers)
            {
                return;
            }

            using var timer = new PeriodicTimer(Settings.RedeliverInterval, owner.time);
            try
            {
                // Once at the start too, so a restarted subscriber picks up what its predecessor left.
                do
                {
                    await ReclaimAsync(token);
                }
                while (await timer.WaitForNextTickAsync(token));
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Stopping.
            }
        }

        private async Task ReclaimAsync(CancellationToken token)
        {
            var idle = (long)Settings.ProcessingTimeout.TotalMilliseconds;
            try
            {
                while (!token.IsCancellationRequested)
                {
                    // XPENDING's IDLE filter (Redis 6.2+) lists only entries pending long enough, of any consumer.
                    var pending = await database.StreamPendingMessagesAsync(
                        topic, group, Settings.QueueDepth, RedisValue.Null, minIdleTimeInMs: idle);
                    if (pending.Length == 0)
                    {
                        return;
                    }

                    // XCLAIM's min-idle-time makes it a no-op for entries another subscriber claimed meanwhile.
                    var claimed = await database.StreamClaimAsync(topic, group, group, idle, [.. pending.Select(p => p.MessageId)]);
                    var delivered = 0;
                    foreach (var entry in claimed.Where(e => !e.IsNull))
                    {
                        await queue.Writer.WriteAsync(owner.ToMessage(topic, (string)entry.Id!, entry["data"], entry["metadata"]), token);
                        delivered++;
                    }

                    // Nothing claimed: the rest went to someone else or was trimmed away (Redis 7 then drops it
                    // from the pending list itself). Claimed entries are no longer idle, so the loop ends.
                    if (delivered == 0)
                    {
                        return;
                    }
                }
            }
            catch (RedisException e) when (!token.IsCancellationRequested)
            {
                LogRedeliveryFailed(owner.logger, topic, group, e);
            }
        }
    }
}
