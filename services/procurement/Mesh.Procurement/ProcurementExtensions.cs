using Dapr.Client;
using Mesh.Contracts.Procurement.V1;
using Mesh.Procurement;
using Mesh.Procurement.Domain;
using Mesh.Procurement.Grpc;
using Mesh.Procurement.Infrastructure;
using Mesh.Resources;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the procurement app.</summary>
public static class ProcurementExtensions
{
    /// <summary>
    /// The Dapr client, a resource store per kind ("Procurement:StateStore", default "statestore") whose writes commit
    /// their events through the outbox store ("Procurement:OutboxStore", default "procurement-outbox"), the match and
    /// receipt tolerances (<see cref="ProcurementOptions"/>, section "Procurement"), and the ERP's purchase order API by
    /// Dapr HTTP service invocation ("Procurement:ErpAppId", default "erp") on the shared resilient sidecar HTTP client
    /// (its options overridden by "Procurement:ErpResilience").
    /// </summary>
    public static IHostApplicationBuilder AddProcurement(this IHostApplicationBuilder builder)
    {
        var store = builder.Configuration["Procurement:StateStore"] ?? "statestore";
        var events = new ContractEvents(builder.Configuration["Procurement:OutboxStore"] ?? "procurement-outbox", "mesh/procurement");
        builder.AddDaprSidecar();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.Configure<ProcurementOptions>(builder.Configuration.GetSection("Procurement"));
        builder.Services.AddSingleton(events);
        builder.Services.AddSingleton(sp => new ResourceStore<Requisition>(sp.GetRequiredService<DaprClient>(), store, "requisition", events));
        builder.Services.AddSingleton(sp => new ResourceStore<PurchaseOrder>(sp.GetRequiredService<DaprClient>(), store, "purchase-order", events));
        builder.Services.AddSingleton(sp => new ResourceStore<GoodsReceipt>(sp.GetRequiredService<DaprClient>(), store, "goods-receipt", events));
        builder.Services.AddSingleton(sp => new ResourceStore<SupplierInvoice>(sp.GetRequiredService<DaprClient>(), store, "supplier-invoice", events));
        builder.Services.AddSingleton<Requisitions>();
        builder.Services.AddSingleton<PurchaseOrders>();
        builder.Services.AddSingleton<Receiving>();
        builder.Services.AddSingleton(sp => new SupplierInvoices(
            sp.GetRequiredService<ResourceStore<SupplierInvoice>>(), sp.GetRequiredService<ResourceStore<PurchaseOrder>>(), sp.GetRequiredService<ResourceStore<GoodsReceipt>>(),
            sp.GetRequiredService<DaprClient>(), store, events, sp.GetRequiredService<IOptions<ProcurementOptions>>(), sp.GetRequiredService<TimeProvider>()));

        builder.AddSidecarHttpClient<IErpPurchaseOrders, ErpPurchaseOrderClient>(builder.Configuration["Procurement:ErpAppId"] ?? "erp", "Procurement:ErpResilience");
        return builder;
    }

    /// <summary>Maps the gRPC services.</summary>
    public static WebApplication MapProcurementApi(this WebApplication app)
    {
        app.MapGrpcService<RequisitionApi>();
        app.MapGrpcService<PurchaseOrderApi>();
        app.MapGrpcService<GoodsReceiptApi>();
        app.MapGrpcService<SupplierInvoiceApi>();
        return app;
    }
}
