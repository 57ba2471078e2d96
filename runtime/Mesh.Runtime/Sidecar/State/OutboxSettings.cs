using Mesh.Runtime.Components;

namespace Mesh.Runtime.Sidecar.State;

/// <summary>
/// The outbox of one state store, read from its metadata as daprd reads it (pkg/runtime/pubsub/outbox.go,
/// AddOrUpdateOutbox): names matched exactly, <c>outboxPublishPubsub</c> and <c>outboxPublishTopic</c> both needed to
/// turn it on, <c>outboxPubsub</c> defaulting to the publish pub/sub, <c>outboxDiscardWhenMissingState</c> a truthy value.
/// </summary>
/// <param name="Store">The state store component.</param>
/// <param name="PublishPubSub">The pub/sub the events go out on.</param>
/// <param name="PublishTopic">The topic every transaction of the store publishes to.</param>
/// <param name="OutboxPubSub">The pub/sub of the internal topic that carries events until their transaction commits.</param>
/// <param name="DiscardWhenMissingState">Drop an internal message whose transaction never committed, instead of retrying it.</param>
public sealed record OutboxSettings(string Store, string PublishPubSub, string PublishTopic, string OutboxPubSub, bool DiscardWhenMissingState)
{
    /// <summary>The metadata key that makes an upsert of a transaction the event payload of the upsert of the same key.</summary>
    public const string ProjectionKey = "outbox.projection";

    /// <summary>
    /// The outbox-enabled state stores among <paramref name="components"/> that <paramref name="appId"/> sees, by store name.
    /// </summary>
    public static IReadOnlyDictionary<string, OutboxSettings> Of(IEnumerable<ComponentDefinition> components, string appId)
    {
        var outboxes = new Dictionary<string, OutboxSettings>(StringComparer.Ordinal);
        foreach (var component in components.Where(c => c.IsVisibleTo(appId) && ComponentFactory.IsStateStore(c.Type)))
        {
            string publishPubSub = "", publishTopic = "", outboxPubSub = "";
            var discard = false;
            foreach (var (name, value) in component.Metadata)
            {
                switch (name)
                {
                    case "outboxPublishPubsub":
                        publishPubSub = value;
                        break;
                    case "outboxPublishTopic":
                        publishTopic = value;
                        break;
                    case "outboxPubsub":
                        outboxPubSub = value;
                        break;
                    case "outboxDiscardWhenMissingState":
                        discard = IsTruthy(value);
                        break;
                }
            }

            if (publishPubSub.Length > 0 && publishTopic.Length > 0)
            {
                outboxes[component.Name] = new OutboxSettings(component.Name, publishPubSub, publishTopic, outboxPubSub.Length > 0 ? outboxPubSub : publishPubSub, discard);
            }
        }

        return outboxes;
    }

    /// <summary>
    /// The internal topic: namespace, app id, publish topic and "outbox" run together, as daprd names it (so an outbox
    /// message in flight is picked up by whichever runtime, Mesh or daprd, runs the app next).
    /// </summary>
    public string InternalTopic(string appId) => $"{Environment.GetEnvironmentVariable("NAMESPACE")}{appId}{PublishTopic}outbox";

    /// <summary>dapr/kit's strings.IsTruthy: y, yes, true, t, on or 1, in any case.</summary>
    public static bool IsTruthy(string? value) =>
        value?.Trim().ToLowerInvariant() is "y" or "yes" or "true" or "t" or "on" or "1";
}
