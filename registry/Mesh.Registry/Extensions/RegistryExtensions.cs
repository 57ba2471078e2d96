using Mesh.Registry;
using Mesh.Registry.Compatibility;
using Mesh.Registry.Grpc;
using Mesh.Registry.Security;
using Mesh.Registry.Storage;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the registry.</summary>
public static class RegistryExtensions
{
    /// <summary>Adds the registry's services: Redis store, buf, checker, gRPC service with its auth interceptor.</summary>
    public static IHostApplicationBuilder AddRegistry(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<RegistryOptions>(builder.Configuration.GetSection("Registry"));
        var redis = builder.Configuration.GetConnectionString("registry")
            ?? throw new InvalidOperationException("ConnectionStrings:registry (the Redis endpoint) is not set");
        // The registry starts without Redis and reports not-ready (HTTP /health, gRPC health) until it answers.
        var redisOptions = ConfigurationOptions.Parse(redis);
        redisOptions.AbortOnConnectFail = false;
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redisOptions));
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis");
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RedisRegistryStore>();
        builder.Services.AddSingleton<SubjectLocks>();
        builder.Services.AddSingleton<BufCli>();
        builder.Services.AddSingleton<CompatibilityChecker>();
        builder.Services.AddSingleton<BearerTokenInterceptor>();
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 8 * 1024 * 1024)
            .AddServiceOptions<RegistryGrpcService>(o => o.Interceptors.Add<BearerTokenInterceptor>());
        return builder;
    }

    /// <summary>Maps the registry's gRPC service.</summary>
    public static WebApplication MapRegistryApi(this WebApplication app)
    {
        app.MapGrpcService<RegistryGrpcService>();
        return app;
    }
}
