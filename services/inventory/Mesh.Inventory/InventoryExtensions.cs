using Dapr.Client;
using Mesh.Contracts.Inventory.V1;
using Mesh.Inventory.Grpc;
using Mesh.Inventory.Ledger;
using Mesh.Inventory.Storage;
using Mesh.Resources;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the inventory app.</summary>
public static class InventoryExtensions
{
    /// <summary>The Dapr client (sidecar from DAPR_GRPC_PORT / DAPR_GRPC_ENDPOINT), a resource store per kind and the stock ledger.</summary>
    public static IHostApplicationBuilder AddInventory(this IHostApplicationBuilder builder)
    {
        var store = builder.Configuration["Inventory:StateStore"] ?? "statestore";
        builder.Services.AddDaprClient();
        builder.Services.AddSingleton(sp => new ResourceStore<InventoryBalance>(sp.GetRequiredService<DaprClient>(), store, "balance"));
        builder.Services.AddSingleton(sp => new ResourceStore<StoredStockMovement>(sp.GetRequiredService<DaprClient>(), store, "movement"));
        builder.Services.AddSingleton<StockLedger>();
        return builder;
    }

    /// <summary>Maps the gRPC services.</summary>
    public static WebApplication MapInventoryApi(this WebApplication app)
    {
        app.MapGrpcService<InventoryApi>();
        return app;
    }
}
