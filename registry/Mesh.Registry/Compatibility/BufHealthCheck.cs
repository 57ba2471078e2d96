using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Mesh.Registry.Compatibility;

/// <summary>Readiness: the registry judges no candidate without buf, so it is not ready while buf is missing or broken.</summary>
public sealed class BufHealthCheck(BufCli buf) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await buf.ProblemAsync(cancellationToken) is { } problem ? HealthCheckResult.Unhealthy(problem) : HealthCheckResult.Healthy("buf answers");
}
