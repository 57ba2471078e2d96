using Grpc.Reflection;
using Mesh.Gateway;
using Mesh.Gateway.Auditing;
using Mesh.Gateway.Gate;
using Mesh.Gateway.Forwarding;
using Mesh.Gateway.RateLimiting;
using Mesh.Gateway.Security;
using Mesh.Gateway.Surface;
using Mesh.ServiceDefaults.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the partner gateway.</summary>
public static class GatewayExtensions
{
    /// <summary>
    /// Adds the gateway: token validation, the partner surface read from the contracts, the forwarders, gRPC-Web and
    /// JSON transcoding, Redis for rate limits and the audit stream. Throws
    /// <see cref="GatewayConfigurationException"/> for settings it must not run with.
    /// </summary>
    public static IHostApplicationBuilder AddGateway(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Gateway");
        var options = section.Get<GatewayOptions>() ?? new GatewayOptions();
        GatewayConfigurationException.ThrowIfUnsafe(options, builder.Environment);
        builder.Services.Configure<GatewayOptions>(section);
        builder.Services.AddSingleton(options);
        builder.AddDaprSidecar();
        var surface = new PartnerSurface(PartnerServices.All, options.AppIds);
        builder.Services.AddSingleton(surface);

        var redis = builder.Configuration.GetConnectionString("gateway")
            ?? throw new GatewayConfigurationException("ConnectionStrings:gateway (the Redis of rate limits and the audit stream) is not set");
        var redisOptions = ConfigurationOptions.Parse(redis);
        redisOptions.AbortOnConnectFail = false;
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redisOptions));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new RedisTokenBucket(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AuditLog>());
        builder.Services.AddSingleton<AdminListener>();
        builder.Services.AddPartnerAuthentication(options.Authentication);
        // Partners authenticate with their JWT at the gate; only the admin API is reached through the sidecar.
        builder.Services.RequireSidecarPerEndpoint();

        builder.Services.AddSingleton<PartnerForwarder>();
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = options.MaxRequestBytes;
            o.EnableDetailedErrors = false;
            // Outermost, so it also sees the contract validation of the service defaults.
            o.Interceptors.Add<TranscodedErrors>();
            var registration = o.Interceptors[^1];
            o.Interceptors.RemoveAt(o.Interceptors.Count - 1);
            o.Interceptors.Insert(0, registration);
        }).AddJsonTranscoding();
        // Reflection describes the partner surface only: replaces the service defaults' reflection of every endpoint.
        builder.Services.AddSingleton(new ReflectionServiceImpl(PartnerReflection.ServicesOf(surface)));
        return builder;
    }

    /// <summary>Maps the gate in front of everything, the partner services, gRPC-Web, the OpenAPI document and the admin API.</summary>
    public static WebApplication MapGatewayApi(this WebApplication app)
    {
        app.UseMiddleware<PartnerGate>();
        // Behind the gate, so it answers partners (and refuses the admin routes on their listeners) first; the
        // admin API then asks for the app token.
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseGrpcWeb(new GrpcWebOptions { DefaultEnabled = true });
        foreach (var service in app.Services.GetRequiredService<PartnerSurface>().Services)
        {
            service.Map(app);
        }

        var openApi = PartnerOpenApi.Write(app.Services.GetRequiredService<PartnerSurface>());
        app.MapGet(PartnerOpenApi.Path, () => Results.Text(openApi, "application/json"));
        app.MapAuditApi();
        return app;
    }
}
