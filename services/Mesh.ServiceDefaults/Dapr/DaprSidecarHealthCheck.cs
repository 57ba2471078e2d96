using Dapr.Client;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mesh.ServiceDefaults.Dapr;

/// <summary>
/// Ready while the app's Dapr sidecar answers <c>/v1.0/healthz/outbound</c>, i.e. its components are ready. daprd
/// answers that endpoint before the app channel is up, so an app and its sidecar never wait on each other. A verdict is
/// reused for <see cref="Reuse"/>, so probes in a loop (gRPC health checks, load balancers) do not each cost a call to
/// the sidecar.
/// </summary>
/// <param name="dapr">The app's Dapr client.</param>
/// <param name="sidecar">The sidecar's HTTP endpoint, named when it does not answer.</param>
/// <param name="clock">The clock of the reuse window.</param>
public sealed class DaprSidecarHealthCheck(DaprClient dapr, Uri sidecar, TimeProvider clock) : IHealthCheck
{
    /// <summary>How long one answer from the sidecar stands.</summary>
    public static readonly TimeSpan Reuse = TimeSpan.FromSeconds(5);

    private Verdict? last;

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        if (Volatile.Read(ref last) is { } known && now < known.Until)
        {
            return known.Result;
        }

        var result = await dapr.CheckOutboundHealthAsync(cancellationToken)
            ? HealthCheckResult.Healthy("the Dapr sidecar's components are ready")
            : HealthCheckResult.Unhealthy($"no ready Dapr sidecar answers at {sidecar.GetLeftPart(UriPartial.Authority)}");
        Volatile.Write(ref last, new Verdict(result, now + Reuse));
        return result;
    }

    private sealed record Verdict(HealthCheckResult Result, DateTimeOffset Until);
}
