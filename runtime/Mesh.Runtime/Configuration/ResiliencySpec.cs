namespace Mesh.Runtime.Configuration;

/// <summary>A retry policy of a Dapr Resiliency file.</summary>
/// <param name="Name">The policy's name.</param>
/// <param name="Exponential">True for "exponential", false for "constant".</param>
/// <param name="Duration">Constant: the wait between attempts. Exponential: the initial interval (Dapr default 500ms).</param>
/// <param name="MaxInterval">Exponential: the longest wait (Dapr default 60s).</param>
/// <param name="MaxRetries">Retries after the first attempt; -1 means forever (Dapr's default).</param>
public sealed record RetryPolicy(string Name, bool Exponential, TimeSpan Duration, TimeSpan MaxInterval, int MaxRetries);

/// <summary>The policies applied to one direction of a target.</summary>
/// <param name="Retry">The retry policy, or null.</param>
/// <param name="Timeout">The timeout of one attempt, or null.</param>
public sealed record TargetPolicies(RetryPolicy? Retry, TimeSpan? Timeout);

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
