namespace Mesh.Runtime.Sidecar.PubSub;

/// <summary>A routing rule: deliver to <paramref name="Path"/> when <paramref name="Match"/> holds.</summary>
public sealed record RouteRule(string Match, string Path);

/// <summary>A subscription declared by the app (GET /dapr/subscribe or ListTopicSubscriptions).</summary>
/// <param name="PubsubName">The pub/sub component.</param>
/// <param name="Topic">The topic.</param>
/// <param name="Rules">CEL rules in order; the first that matches picks the route.</param>
/// <param name="DefaultRoute">The route when no rule matches; null drops such events.</param>
/// <param name="DeadLetterTopic">Where dropped and exhausted events go, on the same component.</param>
/// <param name="Metadata">Subscription metadata, e.g. rawPayload.</param>
public sealed record Subscription(
    string PubsubName,
    string Topic,
    IReadOnlyList<RouteRule> Rules,
    string? DefaultRoute,
    string? DeadLetterTopic,
    IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>True for rawPayload subscriptions: published bytes were not enveloped.</summary>
    public bool RawPayload => Metadata.TryGetValue("rawPayload", out var raw) && bool.TryParse(raw, out var value) && value;
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
