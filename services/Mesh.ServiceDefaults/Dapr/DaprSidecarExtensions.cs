using Dapr;
using Dapr.Client;
using Mesh.ServiceDefaults.Dapr;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;

namespace Microsoft.Extensions.Hosting;

/// <summary>What every app that talks to a Dapr sidecar shares: its client, its readiness, and resilient calls to other apps.</summary>
public static class DaprSidecarExtensions
{
    /// <summary>
    /// The Dapr client and a readiness check on the sidecar (<see cref="DaprSidecarHealthCheck"/>): the app reports
    /// not ready on <c>/health</c> and the gRPC health service while its sidecar's components are not.
    /// </summary>
    public static TBuilder AddDaprSidecar<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddDaprClient();
        builder.Services.TryAddSingleton(TimeProvider.System);
        var sidecar = new Uri(DaprDefaults.GetDefaultHttpEndpoint(builder.Configuration));
        builder.Services.TryAddSingleton(sp => new DaprSidecarHealthCheck(sp.GetRequiredService<DaprClient>(), sidecar, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddHealthChecks().AddCheck<DaprSidecarHealthCheck>("dapr-sidecar");
        return builder;
    }

    /// <summary>
    /// A typed HTTP client that calls app <paramref name="appId"/> through the sidecar's service invocation, behind the
    /// standard resilience pipeline (rate limiter, total timeout, retries with jittered backoff, circuit breaker,
    /// attempt timeout). Retries repeat a request, so the app called must recognise a repeat (idempotency keys).
    /// The defaults below stand unless configuration section <paramref name="resilienceSection"/> overrides them
    /// (its shape is <c>HttpStandardResilienceOptions</c>).
    /// </summary>
    public static IHttpClientBuilder AddSidecarHttpClient<TClient, TImplementation>(this IHostApplicationBuilder builder, string appId, string resilienceSection)
        where TClient : class
        where TImplementation : class, TClient
    {
        // The SDK's defaults read IConfiguration before the environment, so in-process test hosts and the Dapr CLI both work.
        var sidecar = DaprDefaults.GetDefaultHttpEndpoint(builder.Configuration);
        var client = builder.Services.AddHttpClient<TClient, TImplementation>(http => http.BaseAddress = new Uri($"http://{appId}/"));
        // Added first, so it is the outer handler: every attempt goes through the sidecar afresh.
        var resilience = client.AddStandardResilienceHandler().Configure(options =>
        {
            options.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(10);
            options.AttemptTimeout.Timeout = TimeSpan.FromSeconds(3);
            options.Retry.MaxRetryAttempts = 5;
            options.Retry.Delay = TimeSpan.FromMilliseconds(500);
        });
        // The SDK refuses an empty section; without one the defaults above stand.
        var section = builder.Configuration.GetSection(resilienceSection);
        if (section.Exists())
        {
            resilience.Configure(section);
        }

        client.AddHttpMessageHandler(() => new InvocationHandler { DaprEndpoint = sidecar });
        var apiToken = DaprDefaults.GetDefaultDaprApiToken(builder.Configuration);
        client.AddHttpMessageHandler(() => new SidecarTokenHandler(apiToken));
        return client;
    }
}
