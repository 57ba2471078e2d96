using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Mesh.Runtime.Telemetry;

/// <summary>
/// The runtime's own telemetry, for every sidecar of the process: one Prometheus endpoint (<c>/metrics</c> on
/// 127.0.0.1, daprd's metrics port 9090 under <c>mesh run</c>) serving the sidecars' daprd-named metrics, each
/// labelled with its <c>app_id</c>; and, when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, the sidecars' spans (their
/// Dapr API calls, publish, deliver, state, invoke) exported by OTLP as the standard <c>OTEL_*</c> variables say.
/// One endpoint rather than one per sidecar because the sidecars share one process, as they share its components.
/// </summary>
public sealed class RuntimeTelemetry : IAsyncDisposable
{
    /// <summary>The scrape path.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>The resource's service name of the runtime's spans; each span names its sidecar's app in <c>dapr.app_id</c>.</summary>
    public const string ServiceName = "mesh-runtime";

    private readonly WebApplication host;

    private RuntimeTelemetry(WebApplication host, int metricsPort, bool tracing)
    {
        this.host = host;
        MetricsPort = metricsPort;
        Tracing = tracing;
    }

    /// <summary>The port of the Prometheus endpoint on 127.0.0.1.</summary>
    public int MetricsPort { get; }

    /// <summary>True when spans are exported (an OTLP endpoint is configured).</summary>
    public bool Tracing { get; }

    /// <summary>
    /// Starts the metrics endpoint on <paramref name="metricsPort"/> (0 picks a free one) and, with an OTLP endpoint in
    /// the environment or <paramref name="settings"/> (which win), span export. A port in use fails with one line
    /// naming it.
    /// </summary>
    public static async Task<RuntimeTelemetry> StartAsync(int metricsPort, IReadOnlyDictionary<string, string?>? settings = null, CancellationToken cancellationToken = default)
    {
        var port = metricsPort == 0 ? LoopbackPorts.Free() : metricsPort;
        var builder = WebApplication.CreateSlimBuilder();
        // Only the OTEL_* variables matter here; an app's appsettings or ASPNETCORE_URLS must not move this endpoint.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddEnvironmentVariables().AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http1));
        var tracing = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            // daprd's counters carry no _total suffix (dapr_component_pubsub_ingress_count), so none is added here.
            .WithMetrics(metrics => metrics.AddMeter(SidecarTelemetry.Name).AddPrometheusExporter(o => o.DisableTotalNameSuffixForCounters = true));
        if (tracing)
        {
            telemetry.WithTracing(spans => spans
                .AddSource(SidecarTelemetry.Name)
                // The sidecars' Dapr API calls (state, publish, invoke, workflow) as server spans; never the scrapes.
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx => ctx.Connection.LocalPort != port)
                .AddHttpClientInstrumentation());
            telemetry.UseOtlpExporter();
        }

        var app = builder.Build();
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new IOException($"the metrics port 127.0.0.1:{port} is in use ({e.Message}); choose another with --metrics-port or turn metrics off with --enable-metrics=false", e);
        }

        return new RuntimeTelemetry(app, port, tracing);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Stopping the host flushes the providers: spans still batched go out before the process ends.
        await host.StopAsync();
        await host.DisposeAsync();
    }
}
