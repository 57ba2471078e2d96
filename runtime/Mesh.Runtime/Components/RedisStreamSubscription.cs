using System.Threading.Channels;
using StackExchange.Redis;

namespace Mesh.Runtime.Components;

/// <summary>
/// One subscription of <see cref="RedisStreamsPubSub"/>: a consumer group reading one stream with a blocking read
/// loop on its own connection, the handler workers, batched acknowledgements, and the redelivery loop that claims
/// entries pending for processingTimeout every redeliverInterval.
/// </summary>
internal sealed class RedisStreamSubscription(
    RedisStreamsPubSub owner,
    string topic,
    string group,
    int concurrency,
    Func<TopicMessage, CancellationToken, Task> handler,
    IDatabase database,
    ConnectionMultiplexer reader) : IAsyncDisposable
{
    private static readonly TimeSpan ErrorPause = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource stopping = new();

    // Bounded like Dapr's queue: reading stops while the handlers are behind.
    private readonly Channel<TopicMessage> queue = Channel.CreateBounded<TopicMessage>(owner.Settings.QueueDepth);

    // Handled entries wait here to be acknowledged together: one XACK for many entries instead of one each.
    private readonly Channel<RedisValue> acknowledgements = Channel.CreateUnbounded<RedisValue>(new UnboundedChannelOptions { SingleReader = true });
    private Task running = Task.CompletedTask;
    private Task acknowledging = Task.CompletedTask;

    private RedisStreamsPubSub.StreamSettings Settings => owner.Settings;

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
        if (!owner.Forget(this))
        {
            return;
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
            await Task.Delay(ErrorPause, owner.Time, token);
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
                    RedisStreamsPubSub.LogGroupRecreated(owner.Logger, topic, group);
                    await RedisStreamsPubSub.CreateGroupAsync(database, topic, group);
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
                RedisStreamsPubSub.LogReadFailed(owner.Logger, topic, group, e);
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
        using var timeout = new CancellationTokenSource(Settings.Redelivers ? Settings.ProcessingTimeout : Timeout.InfiniteTimeSpan, owner.Time);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);

        try
        {
            await handler(message, attempt.Token);
        }
        catch (Exception e)
        {
            RedisStreamsPubSub.LogHandlerFailed(owner.Logger, message.Id, topic, Sidecar.SafeLog.Describe(e));
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
                RedisStreamsPubSub.LogAckFailed(owner.Logger, string.Join(",", batch.Take(3)), topic, e);
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

        using var timer = new PeriodicTimer(Settings.RedeliverInterval, owner.Time);
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
            RedisStreamsPubSub.LogRedeliveryFailed(owner.Logger, topic, group, e);
        }
    }
}
