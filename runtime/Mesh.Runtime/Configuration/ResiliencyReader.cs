using Mesh.Runtime.Components;

namespace Mesh.Runtime.Configuration;

/// <summary>
/// Merges the Resiliency documents an app sees (dapr pkg/resiliency): policies and targets of later
/// documents replace those of the same name, so a target may name a policy from another file; names that
/// no document defines are errors (daprd would silently apply nothing). Circuit breakers are checked and
/// not kept: mesh has none.
/// </summary>
internal sealed class ResiliencyReader(string appId)
{
    private const string Inbound = "Inbound";
    private const string Outbound = "Outbound";

    private static readonly TimeSpan ConstantDefault = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ExponentialInitial = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxIntervalDefault = TimeSpan.FromSeconds(60);
    private static readonly string[] PolicyFields = ["timeout", "retry", "circuitBreaker"];

    private readonly Dictionary<string, TimeSpan> timeouts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RetryPolicy> retries = new(StringComparer.Ordinal);
    private readonly HashSet<string> circuitBreakers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, YamlMap?> appTargets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (YamlMap? Inbound, YamlMap? Outbound)> componentTargets = new(StringComparer.Ordinal);
    private readonly List<YamlMap> references = [];

    /// <summary>Adds one Resiliency document, unless its scopes leave the app out.</summary>
    public void Read(YamlMap root)
    {
        root.Check(["apiVersion", "kind", "metadata", "spec", "scopes"]);
        _ = ResourceLoader.ReadName(root);
        var scopes = root.TextList("scopes", "scopes: [\"orders\"]");
        if (scopes.Count > 0 && !scopes.Any(scope => scope.Value == appId))
        {
            return;
        }

        if (root.Map("spec") is not { } spec)
        {
            return;
        }

        spec.Check(["policies", "targets"]);
        if (spec.Map("policies") is { } policies)
        {
            ReadPolicies(policies);
        }

        if (spec.Map("targets") is { } targets)
        {
            ReadTargets(targets);
        }
    }

    /// <summary>Resolves the targets into policies, with daprd's default policies for visible components without a target.</summary>
    public ResiliencySpec Build(IReadOnlyList<ComponentDefinition> components)
    {
        foreach (var map in references)
        {
            foreach (var field in PolicyFields.Where(map.Has))
            {
                var name = map.RequiredText(field);
                var defined = field switch
                {
                    "timeout" => timeouts.Keys,
                    "retry" => retries.Keys,
                    _ => (IEnumerable<string>)circuitBreakers,
                };
                if (!defined.Contains(name))
                {
                    var kind = field == "circuitBreaker" ? "circuit breaker" : field;
                    var known = defined.Order(StringComparer.Ordinal).ToList();
                    throw map.Error(field, $"no {kind} policy named '{name}' ({(known.Count == 0 ? "none is defined" : "defined: " + string.Join(", ", known))})");
                }
            }
        }

        if (timeouts.Count == 0 && retries.Count == 0 && appTargets.Count == 0 && componentTargets.Count == 0)
        {
            return ResiliencySpec.None;
        }

        var inbound = new Dictionary<string, TargetPolicies>(StringComparer.Ordinal);
        var outbound = new Dictionary<string, TargetPolicies>(StringComparer.Ordinal);
        foreach (var (name, (inboundMap, outboundMap)) in componentTargets)
        {
            inbound[name] = Policies(inboundMap);
            outbound[name] = Policies(outboundMap);
        }

        // daprd applies default policies (Default<Level>RetryPolicy, ...) only to components no target names.
        foreach (var component in components.Where(c => !componentTargets.ContainsKey(c.Name)))
        {
            var type = component.Type.StartsWith("state.", StringComparison.Ordinal) ? "Statestore"
                : component.Type.StartsWith("pubsub.", StringComparison.Ordinal) ? "Pubsub"
                : null;
            if (type is null)
            {
                continue;
            }

            if (type == "Pubsub" && Defaults(type, Inbound) is { } deliveries)
            {
                inbound[component.Name] = deliveries;
            }

            if (Defaults(type, Outbound) is { } calls)
            {
                outbound[component.Name] = calls;
            }
        }

        var apps = appTargets.ToDictionary(target => target.Key, target => Policies(target.Value), StringComparer.Ordinal);
        return new ResiliencySpec(inbound, outbound, apps);
    }

    private void ReadPolicies(YamlMap policies)
    {
        policies.Check(["timeouts", "retries", "circuitBreakers"]);
        if (policies.Map("timeouts") is { } timeoutMap)
        {
            foreach (var name in timeoutMap.Keys)
            {
                timeouts[name] = timeoutMap.Duration(name) ?? throw timeoutMap.Error(name, "expected a duration, e.g. 5s");
            }
        }

        if (policies.Map("retries") is { } retryMap)
        {
            foreach (var name in retryMap.Keys)
            {
                retries[name] = ReadRetry(retryMap.Map(name), name);
            }
        }

        if (policies.Map("circuitBreakers") is { } breakerMap)
        {
            foreach (var name in breakerMap.Keys)
            {
                if (breakerMap.Map(name) is { } breaker)
                {
                    breaker.Check(["maxRequests", "interval", "timeout", "trip"]);
                    _ = breaker.Integer("maxRequests", 0);
                    _ = breaker.Duration("interval");
                    _ = breaker.Duration("timeout");
                }

                circuitBreakers.Add(name);
            }
        }
    }

    private static RetryPolicy ReadRetry(YamlMap? map, string name)
    {
        map?.Check(["policy", "duration", "maxInterval", "maxRetries", "matching"]);
        var policy = map?.Text("policy")?.ToLowerInvariant() ?? "constant";
        if (policy is not ("constant" or "exponential"))
        {
            throw map!.Error("policy", $"'{map.Text("policy")}' is not a retry policy (constant or exponential)");
        }

        // Dapr's exponential back-off ignores duration: it starts at 500ms and grows x1.5 (dapr/kit retry).
        var duration = map?.Duration("duration") ?? ConstantDefault;
        var exponential = policy == "exponential";
        return new RetryPolicy(
            name,
            exponential,
            exponential ? ExponentialInitial : duration,
            map?.Duration("maxInterval") ?? MaxIntervalDefault,
            map?.Integer("maxRetries", -1, int.MaxValue, "a retry count (-1 for forever)") ?? -1);
    }

    private void ReadTargets(YamlMap targets)
    {
        targets.Check(["apps", "actors", "components"]);
        if (targets.Map("apps") is { } apps)
        {
            foreach (var id in apps.Keys)
            {
                var target = apps.Map(id);
                target?.Check([.. PolicyFields, "circuitBreakerCacheSize"]);
                appTargets[id] = Reference(target);
            }
        }

        // Mesh has no actor targets yet; their policy names are still checked.
        if (targets.Map("actors") is { } actors)
        {
            foreach (var type in actors.Keys)
            {
                var target = actors.Map(type);
                target?.Check([.. PolicyFields, "circuitBreakerScope", "circuitBreakerCacheSize"]);
                _ = Reference(target);
            }
        }

        if (targets.Map("components") is { } components)
        {
            foreach (var name in components.Keys)
            {
                var target = components.Map(name);
                target?.Check(["inbound", "outbound"]);
                var inbound = target?.Map("inbound");
                var outbound = target?.Map("outbound");
                inbound?.Check(PolicyFields);
                outbound?.Check(PolicyFields);
                componentTargets[name] = (Reference(inbound), Reference(outbound));
            }
        }
    }

    private YamlMap? Reference(YamlMap? target)
    {
        if (target is not null)
        {
            references.Add(target);
        }

        return target;
    }

    private TargetPolicies Policies(YamlMap? target) => new(
        target?.Text("retry") is { } retry ? retries[retry] : null,
        target?.Text("timeout") is { } timeout ? Timeout(timeouts[timeout]) : null);

    private TargetPolicies? Defaults(string type, string direction)
    {
        string[] levels = [$"{type}Component{direction}", $"Component{direction}", "Component", ""];
        var retry = levels.Select(level => $"Default{level}RetryPolicy").FirstOrDefault(retries.ContainsKey);
        var timeout = levels.Select(level => $"Default{level}TimeoutPolicy").FirstOrDefault(timeouts.ContainsKey);
        return retry is null && timeout is null
            ? null
            : new TargetPolicies(retry is null ? null : retries[retry], timeout is null ? null : Timeout(timeouts[timeout]));
    }

    // A zero timeout is no timeout, as in daprd.
    private static TimeSpan? Timeout(TimeSpan timeout) => timeout > TimeSpan.Zero ? timeout : null;
}
