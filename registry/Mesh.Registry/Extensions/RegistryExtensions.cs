using Mesh.Registry;
using Mesh.Registry.Auditing;
using Mesh.Registry.Compatibility;
using Mesh.Registry.Governance;
using Mesh.Registry.Grpc;
using Mesh.Registry.Security;
using Mesh.Registry.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the registry.</summary>
public static class RegistryExtensions
{
    /// <summary>
    /// Adds the registry's services: Redis store, buf, the governance rules, and the gRPC service behind its audit
    /// and auth interceptors. Throws <see cref="RegistryConfigurationException"/> for settings it must not run with.
    /// </summary>
    public static IHostApplicationBuilder AddRegistry(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Registry");
        RegistryConfigurationException.ThrowIfUnsafe(section.Get<RegistryOptions>() ?? new RegistryOptions(), builder.Environment);
        builder.Services.Configure<RegistryOptions>(section);
        var redis = builder.Configuration.GetConnectionString("registry")
            ?? throw new RegistryConfigurationException("ConnectionStrings:registry (the Redis endpoint) is not set");
        // The registry starts without Redis and reports not-ready (HTTP /health, gRPC health) until it answers.
        var redisOptions = ConfigurationOptions.Parse(redis);
        redisOptions.AbortOnConnectFail = false;
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redisOptions));
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis").AddCheck<BufHealthCheck>("buf");
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RedisRegistryStore>();
        builder.Services.AddSingleton<SubjectLocks>();
        builder.Services.AddSingleton<BufCli>();
        builder.Services.AddSingleton<CompatibilityChecker>();
        builder.Services.AddSingleton<SchemaCatalog>();
        builder.Services.AddSingleton<SubjectSettings>();
        builder.Services.AddSingleton<SchemaRegistrar>();
        builder.Services.AddSingleton<AuditInterceptor>();
        builder.Services.AddSingleton<BearerTokenInterceptor>();
        // The first interceptor is the outermost: auditing sees the auth interceptor's refusals too.
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 8 * 1024 * 1024)
            .AddServiceOptions<RegistryGrpcService>(o =>
            {
                o.Interceptors.Add<AuditInterceptor>();
                o.Interceptors.Add<BearerTokenInterceptor>();
            });
        return builder;
    }

    /// <summary>Maps the registry's gRPC service.</summary>
    public static WebApplication MapRegistryApi(this WebApplication app)
    {
        // A front door like the gateway's partner listener: CI pipelines call it directly with the registry's own bearer
        // tokens (Security/), not through a Dapr sidecar, so it does not ask for APP_API_TOKEN.
        app.MapGrpcService<RegistryGrpcService>().AllowAnonymous();
        return app;
    }
}
