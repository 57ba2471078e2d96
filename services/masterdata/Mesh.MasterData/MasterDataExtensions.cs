using Dapr.Client;
using Mesh.Contracts.MasterData.V1;
using Mesh.MasterData.Grpc;
using Mesh.Resources;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the master data app.</summary>
public static class MasterDataExtensions
{
    /// <summary>The Dapr client (sidecar from DAPR_GRPC_PORT / DAPR_GRPC_ENDPOINT) and a resource store per kind.</summary>
    public static IHostApplicationBuilder AddMasterData(this IHostApplicationBuilder builder)
    {
        var store = builder.Configuration["MasterData:StateStore"] ?? "statestore";
        builder.Services.AddDaprClient();
        builder.Services.AddSingleton(sp => new ResourceStore<Item>(sp.GetRequiredService<DaprClient>(), store, "item"));
        return builder;
    }

    /// <summary>Maps the gRPC services.</summary>
    public static WebApplication MapMasterDataApi(this WebApplication app)
    {
        app.MapGrpcService<ItemApi>();
        return app;
    }
}
