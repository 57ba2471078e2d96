namespace Mesh.Runtime.Sidecar.PubSub;

/// <summary>A routing rule: deliver to <paramref name="Path"/> when <paramref name="Match"/> holds.</summary>
public sealed record RouteRule(string Match, string Path);

/// <summary>A subscription: declared by the app (GET /dapr/subscribe or ListTopicSubscriptions) or by a Subscription resource.</summary>
/// <param name="PubsubName">The pub/sub component.</param>
/// <param name="Topic">The topic.</param>
/// <param name="Rules">CEL rules in order; the first that matches picks the route.</param>
/// <param name="DefaultRoute">The route when no rule matches; null drops such events.</param>
/// <param name="DeadLetterTopic">Where dropped and exhausted events go, on the same component.</param>
/// <param name="Metadata">Subscription metadata, e.g. rawPayload.</param>
/// <param name="Bulk">Set when the app asked for bulk delivery (bulkSubscribe).</param>
public sealed record Subscription(
    string PubsubName,
    string Topic,
    IReadOnlyList<RouteRule> Rules,
    string? DefaultRoute,
    string? DeadLetterTopic,
    IReadOnlyDictionary<string, string> Metadata,
    BulkSubscribeSettings? Bulk = null)
{
    /// <summary>file:line:column of a declarative subscription (<c>kind: Subscription</c>); null for one the app declared.</summary>
    public string? DeclaredAt { get; init; }

    /// <summary>True for rawPayload subscriptions: published bytes were not enveloped.</summary>
    public bool RawPayload => Metadata.TryGetValue("rawPayload", out var raw) && bool.TryParse(raw, out var value) && value;
}

/// <summary>How a bulk subscription batches: daprd's defaults are 100 messages and 1000 ms.</summary>
/// <param name="MaxMessagesCount">The most entries in one delivery.</param>
/// <param name="MaxAwaitDuration">How long a batch waits for more entries after its first.</param>
public sealed record BulkSubscribeSettings(int MaxMessagesCount, TimeSpan MaxAwaitDuration)
{
    /// <summary>The settings an app declared; zero or missing values take daprd's defaults.</summary>
    public static BulkSubscribeSettings Of(int maxMessagesCount, int maxAwaitDurationMs) =>
        new(maxMessagesCount > 0 ? maxMessagesCount : 100, TimeSpan.FromMilliseconds(maxAwaitDurationMs > 0 ? maxAwaitDurationMs : 1000));
}

/// <summary>The subscriptions this sidecar is delivering.</summary>
public sealed class SubscriptionRegistry
{
    private volatile IReadOnlyList<Subscription> active = [];

    /// <summary>The subscriptions being delivered.</summary>
    public IReadOnlyList<Subscription> Active => active;

    /// <summary>Replaces the active set.</summary>
    public void Set(IReadOnlyList<Subscription> subscriptions) => active = subscriptions;
}
