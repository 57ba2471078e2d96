using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar.Invocation;
using Microsoft.Extensions.Logging;

namespace Mesh.Runtime.Sidecar.PubSub;

/// <summary>Asks the app for its subscriptions, the way daprd does for its protocol.</summary>
public sealed class SubscriptionDiscovery(SidecarSettings settings, AppChannels channels, ILogger<SubscriptionDiscovery> logger)
{
    /// <summary>
    /// The subscriptions to deliver: the app's declarative ones (Subscription resources) merged with those the app
    /// declares, which replace a declarative one to the same pubsub and topic, as in daprd. Invalid ones the app
    /// declares are logged and left out; an invalid declarative one is a <see cref="ConfigurationException"/> at its file.
    /// </summary>
    public async Task<IReadOnlyList<Subscription>> DiscoverAsync(CancellationToken cancellationToken)
    {
        // Without an app port there is no app channel to deliver to, as in daprd.
        if (settings.App.Port == 0)
        {
            return [];
        }

        foreach (var declared in settings.DeclaredSubscriptions)
        {
            if (Problem(declared) is { } problem)
            {
                throw new ConfigurationException($"{declared.DeclaredAt}: {problem}");
            }
        }

        var programmatic = await FromAppAsync(cancellationToken);
        var merged = new List<Subscription>();
        foreach (var declared in settings.DeclaredSubscriptions)
        {
            if (programmatic.Any(p => p.PubsubName == declared.PubsubName && p.Topic == declared.Topic))
            {
                logger.LogInformation("{App} declares its own subscription to {Topic} on {PubSub}; it replaces the one at {DeclaredAt}", settings.App.AppId, declared.Topic, declared.PubsubName, declared.DeclaredAt);
            }
            else
            {
                merged.Add(declared);
            }
        }

        merged.AddRange(programmatic);
        return merged;
    }

    private async Task<IReadOnlyList<Subscription>> FromAppAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<Subscription> declared;
        try
        {
            declared = settings.App.Protocol == "grpc" ? await FromGrpcAsync(cancellationToken) : await FromHttpAsync(cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or RpcException or JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            // daprd carries on without subscriptions when the app's answer is unusable; say why.
            logger.LogError("Could not read the subscriptions of {App}: {Reason}", settings.App.AppId, SafeLog.Describe(e));
            return [];
        }

        var valid = new List<Subscription>();
        foreach (var subscription in declared)
        {
            if (Problem(subscription) is { } problem)
            {
                logger.LogError("Subscription to {Topic} on {PubSub} is not delivered: {Reason}", subscription.Topic, subscription.PubsubName, problem);
            }
            else
            {
                valid.Add(subscription);
            }
        }

        return valid;
    }

    // Why a subscription cannot be delivered by this sidecar, or null.
    private string? Problem(Subscription subscription)
    {
        try
        {
            foreach (var rule in subscription.Rules)
            {
                RouteMatcher.Validate(rule.Match);
            }
        }
        catch (FormatException e)
        {
            return e.Message;
        }

        if (subscription.Bulk is not null && settings.App.Protocol == "grpc")
        {
            // daprd calls OnBulkTopicEventAlpha1 for these; Mesh delivers bulk to http apps only.
            return "bulkSubscribe to a grpc app is not implemented by the Mesh embedded runtime (it delivers bulk to http apps)";
        }

        return settings.PubSubs.ContainsKey(subscription.PubsubName)
            ? null
            : $"pubsub '{subscription.PubsubName}' is not a component of app '{settings.App.AppId}'";
    }

    private async Task<IReadOnlyList<Subscription>> FromHttpAsync(CancellationToken cancellationToken)
    {
        using var response = await channels.HttpFor(settings.App).GetAsync(new Uri(settings.App.BaseUri, "dapr/subscribe"), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            // daprd treats a missing or failing subscribe endpoint as "no subscriptions".
            logger.LogInformation("GET /dapr/subscribe answered {Status}: no subscriptions", (int)response.StatusCode);
            return [];
        }

        using var document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken));
        var subscriptions = new List<Subscription>();
        foreach (var element in document.RootElement.EnumerateArray())
        {
            // daprd reads /dapr/subscribe without regard to case ("pubsubName" in .NET, "pubsubname" in Python).
            var item = new CaseInsensitive(element);
            var rules = new List<RouteRule>();
            string? defaultRoute = item.String("route");
            if (item.TryGetProperty("routes", out var routes))
            {
                var routeSet = new CaseInsensitive(routes);
                defaultRoute = routeSet.TryGetProperty("default", out var d) ? d.GetString() : defaultRoute;
                if (routeSet.TryGetProperty("rules", out var list))
                {
                    rules.AddRange(list.EnumerateArray().Select(r => new CaseInsensitive(r)).Select(r => new RouteRule(r.String("match") ?? "", r.String("path") ?? "")));
                }
            }

            BulkSubscribeSettings? bulkSettings = null;
            if (item.TryGetProperty("bulkSubscribe", out var bulk) && new CaseInsensitive(bulk) is var bulkItem
                && bulkItem.TryGetProperty("enabled", out var enabled) && enabled.ValueKind == JsonValueKind.True)
            {
                bulkSettings = BulkSubscribeSettings.Of(bulkItem.Int32("maxMessagesCount"), bulkItem.Int32("maxAwaitDurationMs"));
            }

            var metadata = item.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object
                ? m.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString())
                : new Dictionary<string, string>();
            subscriptions.Add(new Subscription(
                item.String("pubsubName") ?? "",
                item.String("topic") ?? "",
                rules,
                defaultRoute,
                item.TryGetProperty("deadLetterTopic", out var dlt) ? dlt.GetString() : null,
                metadata,
                bulkSettings));
        }

        return subscriptions;
    }

    private readonly struct CaseInsensitive(JsonElement element)
    {
        public bool TryGetProperty(string name, out JsonElement value)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = property.Value;
                    return true;
                }
            }

            value = default;
            return false;
        }

        public string? String(string name) => TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        public int Int32(string name) => TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : 0;
    }

    private async Task<IReadOnlyList<Subscription>> FromGrpcAsync(CancellationToken cancellationToken)
    {
        try
        {
            var response = await channels.Callback(settings.App).ListTopicSubscriptionsAsync(new Empty(), cancellationToken: cancellationToken);
            return response.Subscriptions.Select(s => new Subscription(
                s.PubsubName,
                s.Topic,
                s.Routes?.Rules.Select(r => new RouteRule(r.Match, r.Path)).ToList() ?? [],
                s.Routes?.Default ?? "",
                string.IsNullOrEmpty(s.DeadLetterTopic) ? null : s.DeadLetterTopic,
                s.Metadata.ToDictionary(),
                s.BulkSubscribe is { Enabled: true } bulk ? BulkSubscribeSettings.Of(bulk.MaxMessagesCount, bulk.MaxAwaitDurationMs) : null)).ToList();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            return [];
        }
    }
}
