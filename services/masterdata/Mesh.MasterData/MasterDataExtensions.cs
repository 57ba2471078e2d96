using Mesh.MasterData.Grpc;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the master data app.</summary>
public static class MasterDataExtensions
{
    /// <summary>The Dapr client (sidecar from DAPR_GRPC_PORT / DAPR_GRPC_ENDPOINT) and the gRPC services.</summary>
    public static IHostApplicationBuilder AddMasterData(this IHostApplicationBuilder builder)
    {
        builder.Services.AddDaprClient();
        builder.Services.AddSingleton(new Mesh.MasterData.Infrastructure.ItemRepositoryOptions(builder.Configuration["MasterData:StateStore"] ?? "statestore"));
        builder.Services.AddSingleton<Mesh.MasterData.Infrastructure.ItemRepository>();
        return builder;
    }

    /// <summary>Maps the gRPC services.</summary>
    public static WebApplication MapMasterDataApi(this WebApplication app)
    {
        app.MapGrpcService<ItemApi>();
        return app;
    }
}
