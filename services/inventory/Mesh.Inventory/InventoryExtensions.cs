using Dapr.Client;
using Mesh.Contracts.Inventory.V1;
using Mesh.Inventory.Domain;
using Mesh.Inventory.Grpc;
using Mesh.Inventory.Storage;
using Mesh.Resources;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the inventory app.</summary>
public static class InventoryExtensions
{
    /// <summary>
    /// The Dapr client (sidecar from DAPR_GRPC_PORT / DAPR_GRPC_ENDPOINT), a resource store per kind ("Inventory:StateStore",
    /// default "statestore"), whose movements commit their events through the outbox store ("Inventory:OutboxStore",
    /// default "inventory-outbox"), the stock ledger and the balance levels.
    /// </summary>
    public static IHostApplicationBuilder AddInventory(this IHostApplicationBuilder builder)
    {
        var store = builder.Configuration["Inventory:StateStore"] ?? "statestore";
        var events = new ContractEvents(builder.Configuration["Inventory:OutboxStore"] ?? "inventory-outbox", "mesh/inventory");
        builder.AddDaprSidecar();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(events);
        builder.Services.AddSingleton(sp => new ResourceStore<InventoryBalance>(sp.GetRequiredService<DaprClient>(), store, "balance", events, partitionOf: InventoryNames.LocationOf));
        builder.Services.AddSingleton(sp => new ResourceStore<StoredStockMovement>(sp.GetRequiredService<DaprClient>(), store, "movement", events, partitionOf: InventoryNames.LocationOf));
        builder.Services.AddSingleton<StockLedger>();
        builder.Services.AddSingleton<BalanceLevels>();
        return builder;
    }

    /// <summary>Maps the gRPC services.</summary>
    public static WebApplication MapInventoryApi(this WebApplication app)
    {
        app.MapGrpcService<InventoryApi>();
        return app;
    }
}
