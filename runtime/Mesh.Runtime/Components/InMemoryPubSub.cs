using System.Globalization;

namespace Mesh.Runtime.Components;

/// <summary>
/// <c>pubsub.in-memory</c> with the delivery guarantees of <see cref="RedisStreamsPubSub"/>: every topic is an
/// append-only log, every consumer group a cursor into it, so a group's first subscription also gets what
/// was published before it. Each subscription calls its handler one message at a time (or as many at once as it asks for); a message whose
/// handler throws comes back to the group after <c>redeliverInterval</c> (default 1s), and one left unfinished
/// by a disposed subscription comes back at once. Subscriptions of one group share its messages.
/// </summary>
/// <remarks>The log is never trimmed, since a new group must see it all: this store is for development.</remarks>
public sealed class InMemoryPubSub : IPubSub
{
    /// <summary>The component type.</summary>
    public const string ComponentType = "pubsub.in-memory";

    private readonly Lock gate = new();
    private readonly Dictionary<string, Topic> topics = new(StringComparer.Ordinal);
    private readonly HashSet<Subscription> subscriptions = [];
    private readonly TimeSpan retryDelay;
    private readonly int concurrency;
    private readonly TimeProvider time;
    private bool disposed;

    /// <summary>Reads the component's metadata (<c>redeliverInterval</c>, and <c>concurrency</c> as pubsub.redis has it).</summary>
    /// <param name="definition">The component.</param>
    /// <param name="time">The clock of redeliveries; the system clock by default.</param>
    /// <exception cref="ComponentException">The metadata is invalid.</exception>
    public InMemoryPubSub(ComponentDefinition definition, TimeProvider? time = null)
    {
        (retryDelay, concurrency) = Parse(definition);
        this.time = time ?? TimeProvider.System;
    }

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <inheritdoc />
    public Task PublishAsync(string topic, ReadOnlyMemory<byte> data, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var log = TopicOf(topic);
            var id = (log.Messages.Count + 1).ToString(CultureInfo.InvariantCulture);
            log.Messages.Add(new TopicMessage(id, topic, data.ToArray(), new Dictionary<string, string>(metadata, StringComparer.Ordinal)));
            log.Signal();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IAsyncDisposable> SubscribeAsync(TopicSubscribeRequest request, Func<TopicMessage, CancellationToken, Task> handler, CancellationToken cancellationToken)
    {
        var (topic, consumerGroup) = (request.Topic, request.ConsumerGroup);
        Subscription subscription;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            var log = TopicOf(topic);
            if (!log.Groups.TryGetValue(consumerGroup, out var group))
            {
                group = new Group();
                log.Groups.Add(consumerGroup, group);
            }

            subscription = new Subscription(this, log, group, Math.Max(concurrency, request.MinimumConcurrency), handler);
            subscriptions.Add(subscription);
        }

        subscription.Start();
        return Task.FromResult<IAsyncDisposable>(subscription);
    }

    /// <inheritdoc />
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
    }

    /// <summary>Validates the metadata; returns the delay before a failed message is delivered again, and the handlers per subscription.</summary>
    internal static (TimeSpan RetryDelay, int Concurrency) Parse(ComponentDefinition definition)
    {
        var metadata = new ComponentMetadata(definition);
        return (metadata.Duration("redeliverInterval", TimeSpan.FromSeconds(1)), (int)metadata.Integer("concurrency", 1, minimum: 1));
    }

    private Topic TopicOf(string name)
    {
        if (!topics.TryGetValue(name, out var topic))
        {
            topic = new Topic();
            topics.Add(name, topic);
        }

        return topic;
    }

    /// <summary>A topic's messages and groups. Guarded by the owner's gate.</summary>
    private sealed class Topic
    {
        private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<TopicMessage> Messages { get; } = [];

        public Dictionary<string, Group> Groups { get; } = new(StringComparer.Ordinal);

        /// <summary>Completes when <see cref="Signal"/> is next called.</summary>
        public Task Changed => changed.Task;

        /// <summary>Wakes every waiting subscription (a message was added or returned).</summary>
        public void Signal()
        {
            var waiting = changed;
            changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiting.SetResult();
        }
    }

    /// <summary>A consumer group: the next log position to hand out and the messages to hand out again. Guarded by the owner's gate.</summary>
    private sealed class Group
    {
        private readonly Dictionary<int, long> retries = [];
        private int cursor;

        /// <summary>The next message due, or null and how long until one falls due (infinite when none will without a publish).</summary>
        public int? Take(Topic topic, long now, out TimeSpan wait)
        {
            // Messages due again go first, oldest position first.
            int? due = null;
            var nextDue = long.MaxValue;
            foreach (var (position, at) in retries)
            {
                if (at <= now && (due is null || position < due))
                {
                    due = position;
                }
                else if (at > now)
                {
                    nextDue = Math.Min(nextDue, at);
                }
            }

            wait = nextDue == long.MaxValue ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(nextDue - now);
            if (due is { } retry)
            {
                retries.Remove(retry);
                return retry;
            }

            return cursor < topic.Messages.Count ? cursor++ : null;
        }

        /// <summary>Hands <paramref name="position"/> out again from <paramref name="at"/> (Unix ms of the owner's clock).</summary>
        public void Return(int position, long at) => retries[position] = at;
    }

    /// <summary>One subscription: <paramref name="concurrency"/> loops, each taking the group's next message and calling the handler.</summary>
    private sealed class Subscription(InMemoryPubSub owner, Topic topic, Group group, int concurrency, Func<TopicMessage, CancellationToken, Task> handler) : IAsyncDisposable
    {
        private readonly CancellationTokenSource stopping = new();
        private Task running = Task.CompletedTask;

        public void Start() => running = Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(() => RunAsync(stopping.Token))));

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
            await running;
            stopping.Dispose();
        }

        private async Task RunAsync(CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                int? position;
                TopicMessage? message = null;
                Task changed;
                TimeSpan wait;
                lock (owner.gate)
                {
                    position = group.Take(topic, owner.Now, out wait);
                    if (position is { } taken)
                    {
                        message = topic.Messages[taken];
                    }

                    changed = topic.Changed;
                }

                if (message is null)
                {
                    try
                    {
                        await changed.WaitAsync(wait, owner.time, cancellationToken);
                    }
                    catch (TimeoutException)
                    {
                        // a retry fell due
                    }
                    catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                    {
                        return;
                    }

                    continue;
                }

                try
                {
                    await handler(message, cancellationToken);
                }
                catch (Exception)
                {
                    // Unacknowledged: back to the group, at once when this subscription is stopping so that
                    // another subscription of the group (or the next one) picks it up.
                    lock (owner.gate)
                    {
                        var delay = cancellationToken.IsCancellationRequested ? 0 : (long)owner.retryDelay.TotalMilliseconds;
                        group.Return(position!.Value, owner.Now + delay);
                        topic.Signal();
                    }
                }
            }
        }
    }
}
