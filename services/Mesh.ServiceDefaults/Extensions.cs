using Mesh.ServiceDefaults.HealthChecks;
using Mesh.ServiceDefaults.Logging;
using Mesh.ServiceDefaults.Security;
using Mesh.ServiceDefaults.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every Mesh app shares: OpenTelemetry, health (HTTP and the gRPC health protocol), gRPC
/// reflection, APP_API_TOKEN on every call (<see cref="SidecarAuthentication"/>), the contracts' field constraints
/// checked on every gRPC request, and logging that never writes a PII or PHI value.
/// </summary>
public static class MeshServiceDefaultsExtensions
{
    /// <summary>The prefix of every Mesh ActivitySource and Meter, so the defaults export them.</summary>
    public const string TelemetryPrefix = "Mesh.";

    /// <summary>The Prometheus scrape endpoint on every app's port.</summary>
    public const string MetricsPath = "/metrics";

    private const string DaprWorkflowSource = "Dapr.Workflow";
    private const string HealthPath = "/health";
    private const string AlivePath = "/alive";
    private const string LiveTag = "live";
    private const string GrpcHealthPath = "/grpc.health.v1.Health";

    /// <summary>How often the health checks run for the gRPC health service (as long as a sidecar verdict stands).</summary>
    public static readonly TimeSpan HealthPublishPeriod = TimeSpan.FromSeconds(5);

    /// <summary>Adds the Mesh defaults to an app.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigurePhiSafeLogging();
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.AddSidecarAuthentication();
        // Every request meets its contract's field constraints before a service's own rules run.
        builder.Services.AddGrpc(o => o.Interceptors.Add<ContractValidationInterceptor>());
        builder.AddGrpcHealthFromPublishedChecks();
        builder.Services.AddGrpcReflection();
        return builder;
    }

    /// <summary>
    /// Routes every logger through the redacting factory: message arguments and scopes that are
    /// protobuf messages are logged with their PII/PHI fields redacted, for every provider
    /// (console, OpenTelemetry, and any added later).
    /// </summary>
    public static TBuilder ConfigurePhiSafeLogging<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddRedactingLoggerFactory();
        return builder;
    }

    /// <summary>
    /// Traces, metrics and logs through OpenTelemetry; OTLP export when an endpoint is configured. None of it with the
    /// standard <c>OTEL_SDK_DISABLED=true</c> (then <c>/metrics</c> is not served either).
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        if (TelemetryDisabled(builder.Configuration))
        {
            return builder;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        // Spans and metrics name the app by its Dapr app id (APP_ID, set by the Dapr CLI and mesh run), as daprd names
        // its own; OTEL_SERVICE_NAME still wins, as the OpenTelemetry SDK reads it after this.
        var serviceName = builder.Configuration["APP_ID"] is { Length: > 0 } appId ? appId : builder.Environment.ApplicationName;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(TelemetryPrefix + "*")
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetryPrefix + "*")
                // The Dapr.Workflow SDK's spans of workflow turns and activities, parents of the calls activities make.
                .AddSource(DaprWorkflowSource)
                // Health probes and scrapes would drown real traffic in traces.
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx => !IsProbe(ctx.Request.Path))
                .AddGrpcClientInstrumentation()
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    // Health probes (HTTP and gRPC) and scrapes: no spans, no request metrics.
    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments(HealthPath) || path.StartsWithSegments(AlivePath) || path.StartsWithSegments(MetricsPath) || path.StartsWithSegments(GrpcHealthPath);

    private static bool TelemetryDisabled(Microsoft.Extensions.Configuration.IConfiguration configuration) =>
        string.Equals(configuration["OTEL_SDK_DISABLED"], "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>A liveness check; apps add readiness checks (sidecar, stores) tagged without "live".</summary>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// The gRPC health service answers Check from the health check publisher's last report (a probe runs no check),
    /// published every <see cref="HealthPublishPeriod"/>; <see cref="FirstHealthRun"/> keeps a fresh app NOT_SERVING until
    /// its checks have passed once, before it listens. An unhealthy check turns the answer NOT_SERVING within a period.
    /// </summary>
    public static TBuilder AddGrpcHealthFromPublishedChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddGrpcHealthChecks(o => o.UseHealthChecksCache = true);
        builder.Services.Configure<HealthCheckPublisherOptions>(o => (o.Delay, o.Period) = (HealthPublishPeriod, HealthPublishPeriod));
        builder.Services.AddHostedService<FirstHealthRun>();
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (ready), <c>/alive</c> (live), <c>/metrics</c> (Prometheus text format, on every endpoint of
    /// the app), the gRPC health service and gRPC reflection. Health and metrics answer without APP_API_TOKEN, as
    /// probes (daprd's among them) and Prometheus send none.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        if (!TelemetryDisabled(app.Configuration))
        {
            app.MapPrometheusScrapingEndpoint(MetricsPath).AllowAnonymous().DisableHttpMetrics();
        }

        app.MapHealthChecks(HealthPath).AllowAnonymous().DisableHttpMetrics();
        app.MapHealthChecks(AlivePath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(LiveTag) }).AllowAnonymous().DisableHttpMetrics();
        app.MapGrpcHealthChecksService().AllowAnonymous().DisableHttpMetrics();
        app.MapGrpcReflectionService();
        return app;
    }
}
