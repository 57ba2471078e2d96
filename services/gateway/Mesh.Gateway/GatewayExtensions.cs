using Grpc.Reflection;
using Mesh.Gateway;
using Mesh.Gateway.Auditing;
using Mesh.Gateway.Gate;
using Mesh.Gateway.Forwarding;
using Mesh.Gateway.RateLimiting;
using Mesh.Gateway.Security;
using Mesh.Gateway.Surface;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.OpenApi.Models;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the partner gateway.</summary>
public static class GatewayExtensions
{
    /// <summary>
    /// Adds the gateway: token validation, the partner surface read from the contracts, the forwarders, gRPC-Web and
    /// JSON transcoding with its OpenAPI document, Redis for rate limits and the audit stream. Throws
    /// <see cref="GatewayConfigurationException"/> for settings it must not run with.
    /// </summary>
    public static IHostApplicationBuilder AddGateway(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Gateway");
        var options = section.Get<GatewayOptions>() ?? new GatewayOptions();
        GatewayConfigurationException.ThrowIfUnsafe(options, builder.Environment);
        builder.Services.Configure<GatewayOptions>(section);
        builder.Services.AddSingleton(options);
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

        builder.Services.AddSingleton<PartnerForwarder>();
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = options.MaxRequestBytes;
            o.EnableDetailedErrors = false;
        }).AddJsonTranscoding();
        // Reflection describes the partner surface only: replaces the service defaults' reflection of every endpoint.
        builder.Services.AddSingleton(new ReflectionServiceImpl(PartnerReflection.ServicesOf(surface)));
        builder.Services.AddGrpcSwagger();
        builder.Services.AddSwaggerGen(o => o.SwaggerDoc("v1", new OpenApiInfo
        {
            Title = "Mesh partner API",
            Version = "v1",
            Description = "The partner surface of Mesh: OAuth 2.0 bearer tokens (client credentials), per-method scopes, PHI and PII withheld without phi.read / pii.read.",
        }));
        return builder;
    }

    /// <summary>Maps the gate in front of everything, the partner services, gRPC-Web, the OpenAPI document and the admin API.</summary>
    public static WebApplication MapGatewayApi(this WebApplication app)
    {
        app.UseMiddleware<PartnerGate>();
        app.UseGrpcWeb(new GrpcWebOptions { DefaultEnabled = true });
        app.UseSwagger(o => o.RouteTemplate = "openapi/{documentName}.json");
        foreach (var service in app.Services.GetRequiredService<PartnerSurface>().Services)
        {
            service.Map(app);
        }

        app.MapAuditApi();
        return app;
    }
}
