using Grpc.AspNetCore.HealthChecks;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mesh.ServiceDefaults.HealthChecks;

/// <summary>
/// The readiness gate of the gRPC health service, which answers Check from the health check publisher's last report
/// instead of running every check on each probe. Before the app listens (hosted services start before the server), every
/// mapped service is NOT_SERVING and the checks run once, their report handed to the publishers as a periodic run would:
/// a fresh app answers SERVING only after its checks passed, and the publisher keeps the answer current every period.
/// </summary>
internal sealed partial class FirstHealthRun(
    HealthServiceImpl health,
    HealthCheckService checks,
    IEnumerable<IHealthCheckPublisher> publishers,
    IOptions<GrpcHealthChecksOptions> grpcHealth,
    IOptions<HealthCheckPublisherOptions> publishing,
    ILogger<FirstHealthRun> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var service in grpcHealth.Value.Services)
        {
            health.SetStatus(service.Name, HealthCheckResponse.Types.ServingStatus.NotServing);
        }

        // Bounded as one publisher run is: a check that hangs delays the start by at most the publisher's timeout, and the
        // app starts NOT_SERVING until a later run passes.
        var options = publishing.Value;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        try
        {
            var report = await checks.CheckHealthAsync(options.Predicate ?? (_ => true), timeout.Token);
            await Task.WhenAll(publishers.Select(p => p.PublishAsync(report, timeout.Token)));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogFirstRunTimedOut(logger, options.Timeout, options.Period);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The health checks did not finish within {Timeout} at start: gRPC health answers NOT_SERVING until a run passes (every {Period})")]
    private static partial void LogFirstRunTimedOut(ILogger logger, TimeSpan timeout, TimeSpan period);
}
