using Mesh.Runtime.Components;

namespace Mesh.Runtime.Configuration;

/// <summary>
/// Merges the Resiliency documents an app sees (dapr pkg/resiliency): policies and targets of later
/// documents replace those of the same name, so a target may name a policy from another file; names that
/// no document defines are errors (daprd would silently apply nothing). Circuit breaker <c>trip</c> expressions are
/// CEL, checked here. Actor targets are refused: Mesh has no actors.
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
    private readonly Dictionary<string, CircuitBreakerPolicy> circuitBreakers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, YamlMap?> appTargets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (YamlMap? Inbound, YamlMap? Outbound)> componentTargets = new(StringComparer.Ordinal);
    private readonly List<YamlMap> references = [];
    private readonly HashSet<YamlMap> componentReferences = [];

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
                    _ => (IEnumerable<string>)circuitBreakers.Keys,
                };
                if (!defined.Contains(name))
                {
                    var kind = field == "circuitBreaker" ? "circuit breaker" : field;
                    var known = defined.Order(StringComparer.Ordinal).ToList();
                    throw map.Error(field, $"no {kind} policy named '{name}' ({(known.Count == 0 ? "none is defined" : "defined: " + string.Join(", ", known))})");
                }

                // Status codes are what apps answer to service invocation; Mesh does not match them for component calls.
                if (field == "retry" && componentReferences.Contains(map) && retries[name] is { } retry && (retry.HttpStatusCodes.Length > 0 || retry.GrpcStatusCodes.Length > 0))
                {
                    throw map.Error(field, $"retry policy '{name}' has matching status codes, which Mesh applies to app targets only; use a policy without matching for components");
                }
            }
        }

        if (timeouts.Count == 0 && retries.Count == 0 && circuitBreakers.Count == 0 && appTargets.Count == 0 && componentTargets.Count == 0)
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
                circuitBreakers[name] = ReadCircuitBreaker(breakerMap.Map(name), name);
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
        var matching = map?.Map("matching");
        matching?.Check(["httpStatusCodes", "gRPCStatusCodes"]);
        return new RetryPolicy(
            name,
            exponential,
            exponential ? ExponentialInitial : duration,
            map?.Duration("maxInterval") ?? MaxIntervalDefault,
            map?.Integer("maxRetries", -1, int.MaxValue, "a retry count (-1 for forever)") ?? -1)
        {
            HttpStatusCodes = StatusCodes(matching, "httpStatusCodes", 100, 599),
            GrpcStatusCodes = StatusCodes(matching, "gRPCStatusCodes", 0, 16),
        };
    }

    // "429,500-504": single codes and inclusive ranges, as Dapr's matching fields take them.
    private static string StatusCodes(YamlMap? matching, string field, int min, int max)
    {
        var text = matching?.Text(field) ?? "";
        return RetryPolicy.ParseCodes(text, min, max) is not null
            ? text
            : throw matching!.Error(field, $"'{text}' is not a list of status codes or ranges from {min} to {max} (e.g. \"429,500-504\")");
    }

    // Defaults are sony/gobreaker's, which daprd uses: 1 request half-open, counts never cleared, 60s open.
    private static CircuitBreakerPolicy ReadCircuitBreaker(YamlMap? map, string name)
    {
        map?.Check(["maxRequests", "interval", "timeout", "trip"]);
        var trip = map?.Text("trip") is { Length: > 0 } given ? given : "consecutiveFailures > 5";
        try
        {
            Sidecar.Resiliency.CircuitBreaker.ValidateTrip(trip);
        }
        catch (FormatException e)
        {
            throw map!.Error("trip", e.Message);
        }

        var maxRequests = map?.Integer("maxRequests", 0) ?? 0;
        var timeout = map?.Duration("timeout") ?? TimeSpan.Zero;
        return new CircuitBreakerPolicy(
            name,
            maxRequests == 0 ? 1 : maxRequests,
            map?.Duration("interval") ?? TimeSpan.Zero,
            timeout == TimeSpan.Zero ? TimeSpan.FromSeconds(60) : timeout,
            trip);
    }

    private void ReadTargets(YamlMap targets)
    {
        targets.Check(["apps", "actors", "components"]);
        if (targets.Map("apps") is { } apps)
        {
            foreach (var id in apps.Keys)
            {
                var target = apps.Map(id);
                target?.Check(PolicyFields, explain: field => field == "circuitBreakerCacheSize"
                    ? "is not supported by Mesh, which keeps one circuit breaker per app; remove it"
                    : null);
                appTargets[id] = Reference(target);
            }
        }

        if (targets.Has("actors"))
        {
            throw targets.Error("actors", "actor targets are not supported by Mesh, which has no actors (workflows run on its own engine); remove them");
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
                componentReferences.UnionWith(new[] { inbound, outbound }.OfType<YamlMap>());
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
        target?.Text("timeout") is { } timeout ? Timeout(timeouts[timeout]) : null,
        target?.Text("circuitBreaker") is { } breaker ? circuitBreakers[breaker] : null);

    private TargetPolicies? Defaults(string type, string direction)
    {
        string[] levels = [$"{type}Component{direction}", $"Component{direction}", "Component", ""];
        var retry = levels.Select(level => $"Default{level}RetryPolicy").FirstOrDefault(retries.ContainsKey);
        var timeout = levels.Select(level => $"Default{level}TimeoutPolicy").FirstOrDefault(timeouts.ContainsKey);
        var breaker = levels.Select(level => $"Default{level}CircuitBreakerPolicy").FirstOrDefault(circuitBreakers.ContainsKey);
        return retry is null && timeout is null && breaker is null
            ? null
            : new TargetPolicies(
                retry is null ? null : retries[retry],
                timeout is null ? null : Timeout(timeouts[timeout]),
                breaker is null ? null : circuitBreakers[breaker]);
    }

    // A zero timeout is no timeout, as in daprd.
    private static TimeSpan? Timeout(TimeSpan timeout) => timeout > TimeSpan.Zero ? timeout : null;
}
