using Dapr.Client;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.MasterData;
using Mesh.MasterData.Grpc;
using Mesh.Resources;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the master data app.</summary>
public static class MasterDataExtensions
{
    /// <summary>
    /// The Dapr client (sidecar from DAPR_GRPC_PORT / DAPR_GRPC_ENDPOINT), a resource store per kind, the event
    /// publisher ("MasterData:PubSub", default "pubsub"), and the claims that keep cost center codes unique within a
    /// company and item and supplier identifiers unique.
    /// </summary>
    public static IHostApplicationBuilder AddMasterData(this IHostApplicationBuilder builder)
    {
        var store = builder.Configuration["MasterData:StateStore"] ?? "statestore";
        builder.Services.AddDaprClient();
        builder.Services.AddSingleton(sp => new ResourceStore<Item>(sp.GetRequiredService<DaprClient>(), store, "item"));
        builder.Services.AddSingleton(sp => new ResourceStore<Location>(sp.GetRequiredService<DaprClient>(), store, "location"));
        builder.Services.AddSingleton(sp => new ResourceStore<CostCenter>(sp.GetRequiredService<DaprClient>(), store, "cost-center"));
        builder.Services.AddSingleton(sp => new ResourceStore<Supplier>(sp.GetRequiredService<DaprClient>(), store, "supplier"));
        // Inventory, asked before a location holding stock is made inactive or deleted, through the sidecar.
        builder.Services.AddSingleton(new InventoryService.InventoryServiceClient(
            SidecarInvocation.For(builder.Configuration, builder.Configuration["MasterData:InventoryAppId"] ?? "inventory")));
        var pubsub = builder.Configuration["MasterData:PubSub"] ?? "pubsub";
        builder.Services.AddSingleton(sp => new ContractEvents(sp.GetRequiredService<DaprClient>(), pubsub, "mesh/masterdata"));
        builder.Services.AddSingleton(sp => new UniqueKeys(sp.GetRequiredService<DaprClient>(), store, "cost-center-code"));
        builder.Services.AddSingleton(sp => new UniqueIdentifiers<Item>(
            new UniqueKeys(sp.GetRequiredService<DaprClient>(), store, "item-identifier"), sp.GetRequiredService<ResourceStore<Item>>(), ItemApi.Items, ItemApi.IdentifiersOf));
        builder.Services.AddSingleton(sp => new UniqueIdentifiers<Supplier>(
            new UniqueKeys(sp.GetRequiredService<DaprClient>(), store, "supplier-identifier"), sp.GetRequiredService<ResourceStore<Supplier>>(), SupplierApi.Suppliers, SupplierApi.IdentifiersOf));
        return builder;
    }

    /// <summary>Maps the gRPC services.</summary>
    public static WebApplication MapMasterDataApi(this WebApplication app)
    {
        app.MapGrpcService<ItemApi>();
        app.MapGrpcService<LocationApi>();
        app.MapGrpcService<CostCenterApi>();
        app.MapGrpcService<SupplierApi>();
        return app;
    }
}
