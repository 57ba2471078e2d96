namespace Mesh.Runtime.Configuration;

/// <summary>A retry policy of a Dapr Resiliency file.</summary>
/// <param name="Name">The policy's name.</param>
/// <param name="Exponential">True for "exponential", false for "constant".</param>
/// <param name="Duration">Constant: the wait between attempts. Exponential: the initial interval (Dapr default 500ms).</param>
/// <param name="MaxInterval">Exponential: the longest wait (Dapr default 60s).</param>
/// <param name="MaxRetries">Retries after the first attempt; -1 means forever (Dapr's default).</param>
public sealed record RetryPolicy(string Name, bool Exponential, TimeSpan Duration, TimeSpan MaxInterval, int MaxRetries)
{
    /// <summary><c>matching.httpStatusCodes</c> as written, e.g. "429,500-504"; empty retries every failed call.</summary>
    public string HttpStatusCodes { get; init; } = "";

    /// <summary><c>matching.gRPCStatusCodes</c> as written; empty retries every failed call.</summary>
    public string GrpcStatusCodes { get; init; } = "";

    /// <summary>The codes of a matching field ("429,500-504": codes and inclusive ranges); null when one is not a code from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static IReadOnlySet<int>? ParseCodes(string text, int min, int max)
    {
        var codes = new HashSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length > 2
                || !int.TryParse(bounds[0], System.Globalization.CultureInfo.InvariantCulture, out var from)
                || !int.TryParse(bounds[^1], System.Globalization.CultureInfo.InvariantCulture, out var to)
                || from < min || to > max || from > to)
            {
                return null;
            }

            codes.UnionWith(Enumerable.Range(from, to - from + 1));
        }

        return codes;
    }

    /// <summary>Whether a failed HTTP call with <paramref name="status"/> is retried: any server error without matching, else the listed ones.</summary>
    public bool RetriesHttp(int status) => HttpStatusCodes.Length == 0 ? status >= 500 : ParseCodes(HttpStatusCodes, 100, 599)!.Contains(status);

    /// <summary>Whether a failed gRPC call with <paramref name="code"/> is retried: any without matching, else the listed ones.</summary>
    public bool RetriesGrpc(int code) => GrpcStatusCodes.Length == 0 || ParseCodes(GrpcStatusCodes, 0, 16)!.Contains(code);
}

/// <summary>A circuit breaker policy of a Dapr Resiliency file (sony/gobreaker's settings, as daprd uses them).</summary>
/// <param name="Name">The policy's name.</param>
/// <param name="MaxRequests">Requests let through while half-open; that many successes close it (Dapr default 1).</param>
/// <param name="Interval">How often a closed breaker clears its counts; zero never clears them (Dapr default 0).</param>
/// <param name="Timeout">How long it stays open before letting requests through half-open (Dapr default 60s).</param>
/// <param name="Trip">The CEL expression over the counts that opens it, e.g. <c>consecutiveFailures &gt; 5</c>.</param>
public sealed record CircuitBreakerPolicy(string Name, int MaxRequests, TimeSpan Interval, TimeSpan Timeout, string Trip);

/// <summary>The policies applied to one direction of a target.</summary>
/// <param name="Retry">The retry policy, or null.</param>
/// <param name="Timeout">The timeout of one attempt, or null.</param>
/// <param name="CircuitBreaker">The circuit breaker, or null.</param>
public sealed record TargetPolicies(RetryPolicy? Retry, TimeSpan? Timeout, CircuitBreakerPolicy? CircuitBreaker = null)
{
    /// <summary>True when no policy applies: calls run once, as without a Resiliency file.</summary>
    public bool IsEmpty => Retry is null && Timeout is null && CircuitBreaker is null;
}

/// <summary>Every Resiliency file visible to an app, merged.</summary>
/// <param name="ComponentInbound">Component name → policies for deliveries from it to the app (pub/sub inbound).</param>
/// <param name="ComponentOutbound">Component name → policies for calls from the sidecar to it.</param>
/// <param name="Apps">App id → policies for service invocation to that app.</param>
public sealed record ResiliencySpec(
    IReadOnlyDictionary<string, TargetPolicies> ComponentInbound,
    IReadOnlyDictionary<string, TargetPolicies> ComponentOutbound,
    IReadOnlyDictionary<string, TargetPolicies> Apps)
{
    /// <summary>No resiliency file: one attempt, no timeout (Dapr's behaviour).</summary>
    public static ResiliencySpec None { get; } = new(
        new Dictionary<string, TargetPolicies>(), new Dictionary<string, TargetPolicies>(), new Dictionary<string, TargetPolicies>());
}
