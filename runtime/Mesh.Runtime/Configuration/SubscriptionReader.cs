using Mesh.Runtime.Components;
using Mesh.Runtime.Sidecar.PubSub;

namespace Mesh.Runtime.Configuration;

/// <summary>
/// Reads Dapr's declarative <c>kind: Subscription</c> resources as daprd's disk loader does: v2alpha1
/// (<c>routes.rules[].match</c> CEL rules tried in order, then <c>routes.default</c>) and the deprecated v1alpha1
/// (<c>route</c>, which becomes the default route); <c>pubsubname</c>, <c>topic</c>, <c>deadLetterTopic</c>,
/// <c>bulkSubscribe</c>, <c>metadata</c> and <c>scopes</c>. Stricter than daprd, which logs and skips: a rule that
/// is not CEL, a pub/sub the app does not see, or a second subscription to one pubsub and topic is an error at
/// file:line:column.
/// </summary>
internal sealed class SubscriptionReader(string appId)
{
    /// <summary>The current apiVersion of Subscription.</summary>
    public const string ApiVersion = "dapr.io/v2alpha1";

    private static readonly string[] Fields = ["apiVersion", "kind", "metadata", "spec", "scopes"];
    private static readonly string[] V2SpecFields = ["pubsubname", "topic", "metadata", "routes", "deadLetterTopic", "bulkSubscribe"];
    private static readonly string[] V1SpecFields = ["pubsubname", "topic", "metadata", "route", "deadLetterTopic", "bulkSubscribe"];
    private static readonly string[] RoutesFields = ["rules", "default"];
    private static readonly string[] RuleFields = ["match", "path"];
    private static readonly string[] BulkFields = ["enabled", "maxMessagesCount", "maxAwaitDurationMs"];

    private readonly List<(Subscription Subscription, YamlMap Spec)> read = [];

    /// <summary>Reads one Subscription document; one whose scopes leave the app out is checked, then skipped.</summary>
    public void Read(YamlMap root, string apiVersion)
    {
        root.Check(Fields);
        ResourceLoader.ReadName(root);
        var spec = root.Map("spec") ?? throw root.Missing("spec.topic");
        var v2 = apiVersion == ApiVersion;
        spec.Check(v2 ? V2SpecFields : V1SpecFields);
        var pubsubName = spec.RequiredText("pubsubname");
        var topic = spec.RequiredText("topic");

        var rules = new List<RouteRule>();
        string? defaultRoute;
        if (v2)
        {
            var routes = spec.Map("routes") ?? throw spec.Missing("routes");
            routes.Check(RoutesFields);
            foreach (var (node, path) in routes.Items("rules") ?? [])
            {
                var rule = YamlMap.Of(root.File, node, node, path);
                rule.Check(RuleFields);
                var match = rule.Text("match") ?? "";
                try
                {
                    RouteMatcher.Validate(match);
                }
                catch (FormatException e)
                {
                    throw rule.Error("match", e.Message);
                }

                rules.Add(new RouteRule(match, rule.RequiredText("path")));
            }

            defaultRoute = routes.Text("default") is { Length: > 0 } given ? given : null;
            if (rules.Count == 0 && defaultRoute is null)
            {
                throw routes.Missing("rules (or routes.default)");
            }
        }
        else
        {
            defaultRoute = spec.RequiredText("route");
        }

        var subscription = new Subscription(
            pubsubName,
            topic,
            rules,
            defaultRoute,
            spec.Text("deadLetterTopic") is { Length: > 0 } deadLetter ? deadLetter : null,
            spec.TextMap("metadata").ToDictionary(item => item.Name, item => item.Value, StringComparer.Ordinal),
            ReadBulk(spec.Map("bulkSubscribe")))
        {
            DeclaredAt = root.File.Where(spec.Value("pubsubname")!),
        };

        var scopes = root.TextList("scopes", "scopes: [\"orders\"]");
        if (scopes.Count > 0 && !scopes.Any(scope => scope.Value == appId))
        {
            return;
        }

        // daprd keeps the first declarative subscription to a pubsub and topic; a second is a mistake worth stopping for.
        if (read.FirstOrDefault(r => r.Subscription.PubsubName == pubsubName && r.Subscription.Topic == topic).Subscription is { } first)
        {
            throw spec.Error("topic", $"'{topic}' on pubsub '{pubsubName}' already has a subscription for app '{appId}' at {first.DeclaredAt}");
        }

        read.Add((subscription, spec));
    }

    /// <summary>The subscriptions of the app, in load order, once every one names a pub/sub component the app sees.</summary>
    public IReadOnlyList<Subscription> Build(IReadOnlyList<ComponentDefinition> components)
    {
        foreach (var (subscription, spec) in read)
        {
            if (!components.Any(c => c.Name == subscription.PubsubName && ComponentFactory.IsPubSub(c.Type)))
            {
                throw spec.Error("pubsubname", $"'{subscription.PubsubName}' is not a pub/sub component of app '{appId}'");
            }
        }

        return [.. read.Select(r => r.Subscription)];
    }

    private static BulkSubscribeSettings? ReadBulk(YamlMap? bulk)
    {
        if (bulk is null)
        {
            return null;
        }

        bulk.Check(BulkFields);
        return bulk.Boolean("enabled") is true
            ? BulkSubscribeSettings.Of(bulk.Integer("maxMessagesCount", 0) ?? 0, bulk.Integer("maxAwaitDurationMs", 0) ?? 0)
            : null;
    }
}
