using Mesh.ServiceDefaults.Logging;
using Mesh.ServiceDefaults.Security;
using Mesh.ServiceDefaults.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
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

    private const string HealthPath = "/health";
    private const string AlivePath = "/alive";
    private const string LiveTag = "live";

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
        builder.Services.AddGrpcHealthChecks();
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

    /// <summary>Traces, metrics and logs through OpenTelemetry; OTLP export when an endpoint is configured.</summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(TelemetryPrefix + "*"))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetryPrefix + "*")
                // Health probes would drown real traffic in traces.
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx =>
                    !ctx.Request.Path.StartsWithSegments(HealthPath) && !ctx.Request.Path.StartsWithSegments(AlivePath))
                .AddGrpcClientInstrumentation()
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>A liveness check; apps add readiness checks (sidecar, stores) tagged without "live".</summary>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (ready), <c>/alive</c> (live), the gRPC health service and gRPC reflection. The health
    /// endpoints answer without APP_API_TOKEN, as probes (daprd's among them) send none.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthPath).AllowAnonymous();
        app.MapHealthChecks(AlivePath, new HealthCheckOptions { Predicate = r => r.Tags.Contains(LiveTag) }).AllowAnonymous();
        app.MapGrpcHealthChecksService().AllowAnonymous();
        app.MapGrpcReflectionService();
        return app;
    }
}
