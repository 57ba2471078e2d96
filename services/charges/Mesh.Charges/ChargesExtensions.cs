using Dapr.Client;
using Mesh.Charges.Domain;
using Mesh.Charges.Grpc;
using Mesh.Charges.Infrastructure;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the charges app.</summary>
public static class ChargesExtensions
{
    /// <summary>
    /// The Dapr client, the charge store ("Charges:StateStore", default "statestore") whose captures and voids commit
    /// their events through the outbox store ("Charges:OutboxStore", default "charges-outbox"), the charge book, and the
    /// charge master: master data's ItemService ("Charges:MasterDataAppId", default "masterdata") through this app's sidecar.
    /// </summary>
    public static IHostApplicationBuilder AddCharges(this IHostApplicationBuilder builder)
    {
        var store = builder.Configuration["Charges:StateStore"] ?? "statestore";
        var events = new ContractEvents(builder.Configuration["Charges:OutboxStore"] ?? "charges-outbox", "mesh/charges");
        builder.AddDaprSidecar();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(events);
        builder.Services.AddSingleton(sp => new ResourceStore<PatientCharge>(sp.GetRequiredService<DaprClient>(), store, "charge", events));
        var masterData = builder.Configuration["Charges:MasterDataAppId"] ?? "masterdata";
        // Items are read from a short-lived cache (SidecarInvocation.ForReads): a price change is seen within its lifetime.
        builder.Services.AddSingleton<IChargeMaster>(sp => new MasterDataChargeMaster(new ItemService.ItemServiceClient(
            SidecarInvocation.ForReads(builder.Configuration, masterData, sp.GetRequiredService<TimeProvider>()))));
        builder.Services.AddSingleton<ChargeBook>();
        return builder;
    }

    /// <summary>Maps the gRPC services.</summary>
    public static WebApplication MapChargesApi(this WebApplication app)
    {
        app.MapGrpcService<ChargeApi>();
        return app;
    }
}
