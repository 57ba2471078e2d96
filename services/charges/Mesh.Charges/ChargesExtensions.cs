using Dapr.Client;
using Mesh.Charges.Grpc;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the charges app.</summary>
public static class ChargesExtensions
{
    /// <summary>
    /// The Dapr client, the charge store, and the master data ItemService client that reaches the "masterdata"
    /// app through this app's own sidecar.
    /// </summary>
    public static IHostApplicationBuilder AddCharges(this IHostApplicationBuilder builder)
    {
        var store = builder.Configuration["Charges:StateStore"] ?? "statestore";
        builder.Services.AddDaprClient();
        builder.Services.AddSingleton(sp => new ResourceStore<PatientCharge>(sp.GetRequiredService<DaprClient>(), store, "charge"));
        var masterData = builder.Configuration["Charges:MasterDataAppId"] ?? "masterdata";
        builder.Services.AddSingleton(new ItemService.ItemServiceClient(SidecarInvocation.For(builder.Configuration, masterData)));
        return builder;
    }

    /// <summary>Maps the gRPC services.</summary>
    public static WebApplication MapChargesApi(this WebApplication app)
    {
        app.MapGrpcService<ChargeApi>();
        return app;
    }
}
