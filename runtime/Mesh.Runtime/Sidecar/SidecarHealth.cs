using Mesh.Runtime.Components;

namespace Mesh.Runtime.Sidecar;

/// <summary>
/// What <c>/v1.0/healthz</c> and <c>/v1.0/healthz/outbound</c> report, as daprd reports them: outbound health is the
/// components' (every one the app sees answers), and health also waits for initialization, which for an app with a
/// port ends once its subscriptions are being delivered.
/// </summary>
public sealed class SidecarHealth
{
    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(1);

    private readonly IReadOnlyList<(string Name, IComponentHealth Component)> components;
    private volatile bool initialized;

    /// <summary>Health over <paramref name="settings"/>' components, read before any wrapping.</summary>
    public SidecarHealth(SidecarSettings settings)
    {
        components = [.. settings.StateStores.Select(s => (s.Key, s.Value as IComponentHealth)).Concat(settings.PubSubs.Select(p => (p.Key, p.Value as IComponentHealth)))
            .Where(c => c.Item2 is not null).Select(c => (c.Key, c.Item2!))];
        initialized = settings.App.Port == 0;
    }

    /// <summary>Marks the sidecar initialized: the app answered and its deliveries started.</summary>
    public void Initialized() => initialized = true;

    /// <summary>The names of the components that do not answer now; empty when all do.</summary>
    public async Task<IReadOnlyList<string>> UnhealthyComponentsAsync(CancellationToken cancellationToken)
    {
        var checks = await Task.WhenAll(components.Select(async c => (c.Name, Healthy: await c.Component.IsHealthyAsync(PingTimeout, cancellationToken))));
        return [.. checks.Where(c => !c.Healthy).Select(c => c.Name).Distinct().Order(StringComparer.Ordinal)];
    }

    /// <summary>Why the sidecar is not healthy, or null when it is.</summary>
    public async Task<string?> ProblemAsync(bool outboundOnly, CancellationToken cancellationToken)
    {
        if (!outboundOnly && !initialized)
        {
            return "the sidecar is not initialized yet: its app has not answered";
        }

        var unhealthy = await UnhealthyComponentsAsync(cancellationToken);
        return unhealthy.Count == 0 ? null : $"components not ready: {string.Join(", ", unhealthy)}";
    }
}
