using Dapr.Client;
using Mesh.Contracts.Contracting.V1;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.MasterData.Domain;
using Mesh.MasterData.Grpc;
using Mesh.MasterData.Infrastructure;
using Mesh.Resources;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the master data app.</summary>
public static class MasterDataExtensions
{
    /// <summary>
    /// The Dapr client (sidecar from DAPR_GRPC_PORT / DAPR_GRPC_ENDPOINT), a resource store per kind ("MasterData:StateStore",
    /// default "statestore"), whose item and supplier writes commit their events through the outbox store
    /// ("MasterData:OutboxStore", default "masterdata-outbox"), the claims that keep cost center codes unique within a
    /// company and item and supplier identifiers unique, inventory's stock ("MasterData:InventoryAppId", default
    /// "inventory"), the four masters and the contract book (contract numbers unique per supplier).
    /// </summary>
    public static IHostApplicationBuilder AddMasterData(this IHostApplicationBuilder builder)
    {
        var store = builder.Configuration["MasterData:StateStore"] ?? "statestore";
        var events = new ContractEvents(builder.Configuration["MasterData:OutboxStore"] ?? "masterdata-outbox", "mesh/masterdata");
        builder.AddDaprSidecar();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(events);
        builder.Services.AddSingleton(sp => new ResourceStore<Item>(sp.GetRequiredService<DaprClient>(), store, "item", events));
        builder.Services.AddSingleton(sp => new ResourceStore<Location>(sp.GetRequiredService<DaprClient>(), store, "location"));
        builder.Services.AddSingleton(sp => new ResourceStore<CostCenter>(sp.GetRequiredService<DaprClient>(), store, "cost-center"));
        builder.Services.AddSingleton(sp => new ResourceStore<Supplier>(sp.GetRequiredService<DaprClient>(), store, "supplier", events));
        builder.Services.AddSingleton<IStock>(new InventoryStock(new InventoryService.InventoryServiceClient(
            SidecarInvocation.For(builder.Configuration, builder.Configuration["MasterData:InventoryAppId"] ?? "inventory"))));
        builder.Services.AddSingleton(sp => new UniqueKeys(sp.GetRequiredService<DaprClient>(), store, "cost-center-code"));
        builder.Services.AddSingleton(sp => new UniqueIdentifiers<Item>(
            new UniqueKeys(sp.GetRequiredService<DaprClient>(), store, "item-identifier"), sp.GetRequiredService<ResourceStore<Item>>(), ItemRules.Items, ItemRules.IdentifiersOf));
        builder.Services.AddSingleton(sp => new UniqueIdentifiers<Supplier>(
            new UniqueKeys(sp.GetRequiredService<DaprClient>(), store, "supplier-identifier"), sp.GetRequiredService<ResourceStore<Supplier>>(), SupplierRules.Suppliers, SupplierRules.IdentifiersOf));
        builder.Services.AddSingleton<ItemMaster>();
        builder.Services.AddSingleton<SupplierMaster>();
        builder.Services.AddSingleton<LocationMaster>();
        builder.Services.AddSingleton<CostCenterMaster>();
        builder.Services.AddSingleton(sp => new ResourceStore<Contract>(sp.GetRequiredService<DaprClient>(), store, "contract"));
        builder.Services.AddSingleton(sp => new ContractBook(
            sp.GetRequiredService<ResourceStore<Contract>>(), sp.GetRequiredService<ResourceStore<Supplier>>(), sp.GetRequiredService<ResourceStore<Item>>(),
            new UniqueKeys(sp.GetRequiredService<DaprClient>(), store, "contract-number"), sp.GetRequiredService<TimeProvider>()));
        return builder;
    }

    /// <summary>Maps the gRPC services.</summary>
    public static WebApplication MapMasterDataApi(this WebApplication app)
    {
        app.MapGrpcService<ItemApi>();
        app.MapGrpcService<LocationApi>();
        app.MapGrpcService<CostCenterApi>();
        app.MapGrpcService<SupplierApi>();
        app.MapGrpcService<ContractApi>();
        return app;
    }
}
