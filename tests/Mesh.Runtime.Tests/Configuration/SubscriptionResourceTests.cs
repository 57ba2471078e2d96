using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar.PubSub;

namespace Mesh.Runtime.Tests.Configuration;

/// <summary>Declarative subscriptions (<c>kind: Subscription</c>) read by <see cref="ResourceLoader"/>.</summary>
public sealed class SubscriptionResourceTests : IDisposable
{
    private const string PubSub = """
        apiVersion: dapr.io/v1alpha1
        kind: Component
        metadata:
          name: pubsub
        spec:
          type: pubsub.in-memory
        """;

    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void Load_V2Alpha1_ReadsRulesDefaultDeadLetterBulkAndMetadata()
    {
        folder.Write("c/pubsub.yaml", PubSub);
        folder.Write("c/subscription.yaml", """
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata:
              name: payments
            spec:
              pubsubname: pubsub
              topic: payments
              routes:
                rules:
                  - match: event.type == "payment.failed" && event.data.amount > 100
                    path: /payments/large-failures
                  - match: event.type.startsWith("payment.")
                    path: /payments/other
                default: /payments
              deadLetterTopic: payments-dead
              bulkSubscribe:
                enabled: true
                maxMessagesCount: 20
                maxAwaitDurationMs: 50
              metadata:
                rawPayload: "true"
            scopes:
              - billing
            """);

        var (_, _, subscriptions) = ResourceLoader.Load([folder.Path + "/c"], "billing");

        var subscription = Assert.Single(subscriptions);
        Assert.Equal(("pubsub", "payments", "/payments", "payments-dead"), (subscription.PubsubName, subscription.Topic, subscription.DefaultRoute, subscription.DeadLetterTopic));
        Assert.Equal(
            [new RouteRule("event.type == \"payment.failed\" && event.data.amount > 100", "/payments/large-failures"), new RouteRule("event.type.startsWith(\"payment.\")", "/payments/other")],
            subscription.Rules);
        Assert.Equal(new BulkSubscribeSettings(20, TimeSpan.FromMilliseconds(50)), subscription.Bulk);
        Assert.True(subscription.RawPayload);
        Assert.Equal($"{folder.Path}/c/subscription.yaml:6:15", subscription.DeclaredAt);
    }

    [Fact]
    public void Load_V1Alpha1_RouteBecomesTheDefault()
    {
        folder.Write("c/pubsub.yaml", PubSub);
        folder.Write("c/subscription.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Subscription
            metadata:
              name: orders
            spec:
              pubsubname: pubsub
              topic: orders
              route: /orders
            """);

        var (_, _, subscriptions) = ResourceLoader.Load([folder.Path + "/c"], "shipping");

        var subscription = Assert.Single(subscriptions);
        Assert.Equal(("orders", "/orders", null), (subscription.Topic, subscription.DefaultRoute, subscription.Bulk));
        Assert.Empty(subscription.Rules);
    }

    [Fact]
    public void Load_ScopesLeaveTheAppOut_SubscriptionIsSkipped()
    {
        folder.Write("c/pubsub.yaml", PubSub);
        folder.Write("c/subscription.yaml", """
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata:
              name: orders
            spec:
              pubsubname: pubsub
              topic: orders
              routes:
                default: /orders
            scopes: [shipping]
            """);

        Assert.Single(ResourceLoader.Load([folder.Path + "/c"], "shipping").Subscriptions);
        Assert.Empty(ResourceLoader.Load([folder.Path + "/c"], "billing").Subscriptions);
    }

    [Fact]
    public void Load_RuleThatIsNotCel_RefusedAtTheMatch()
    {
        folder.Write("c/pubsub.yaml", PubSub);
        var path = folder.Write("c/subscription.yaml", """
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata:
              name: orders
            spec:
              pubsubname: pubsub
              topic: orders
              routes:
                rules:
                  - match: event.type ==
                    path: /orders
            """);

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.StartsWith($"{path}:10:16: spec.routes.rules[0].match: routing rule 'event.type ==' is not valid CEL", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("  route: /orders\n", "7:3: spec.route: unknown field")]
    [InlineData("  routes:\n    default: /o\n  bulkSubscribe:\n    maxBulkSubCount: 5\n", "10:5: spec.bulkSubscribe.maxBulkSubCount: unknown field")]
    [InlineData("  routes: {}\n", "7:3: spec.routes.rules (or routes.default) is required")]
    public void Load_V2Alpha1Mistakes_RefusedWithFileLineAndField(string tail, string expected)
    {
        folder.Write("c/pubsub.yaml", PubSub);
        var path = folder.Write("c/subscription.yaml", "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata:\n  name: s\nspec:\n  pubsubname: pubsub\n" + tail + "  topic: orders\n");

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.StartsWith($"{path}:{expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_PubSubTheAppDoesNotSee_RefusedAtPubsubname()
    {
        var path = folder.Write("c/subscription.yaml", """
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata:
              name: orders
            spec:
              pubsubname: events
              topic: orders
              routes:
                default: /orders
            """);

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.Equal($"{path}:6:15: spec.pubsubname: 'events' is not a pub/sub component of app 'orders'", error.Message);
    }

    [Fact]
    public void Load_SecondSubscriptionToOneTopic_RefusedNamingTheFirst()
    {
        folder.Write("c/pubsub.yaml", PubSub);
        var subscription = "apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata:\n  name: NAME\nspec:\n  pubsubname: pubsub\n  topic: orders\n  routes:\n    default: /orders\n";
        var first = folder.Write("c/a.yaml", subscription.Replace("NAME", "a", StringComparison.Ordinal));
        var second = folder.Write("c/b.yaml", subscription.Replace("NAME", "b", StringComparison.Ordinal));

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.Equal($"{second}:7:10: spec.topic: 'orders' on pubsub 'pubsub' already has a subscription for app 'orders' at {first}:6:15", error.Message);
    }

    [Fact]
    public void Load_UnknownSubscriptionApiVersion_Refused()
    {
        var path = folder.Write("c/subscription.yaml", "apiVersion: dapr.io/v3\nkind: Subscription\nmetadata:\n  name: s\n");

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.StartsWith($"{path}:1:13: apiVersion: 'dapr.io/v3' is not supported for kind Subscription", error.Message, StringComparison.Ordinal);
    }
}
