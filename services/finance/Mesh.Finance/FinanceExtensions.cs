using Dapr.Client;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Finance;
using Mesh.Finance.Domain;
using Mesh.Finance.Grpc;
using Mesh.Finance.Infrastructure;
using Mesh.Resources;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the finance app.</summary>
public static class FinanceExtensions
{
    /// <summary>
    /// The Dapr client, the journal entry store ("Finance:StateStore", default "statestore") whose postings and
    /// reversals commit their events through the outbox store ("Finance:OutboxStore", default "finance-outbox"), the
    /// journal with its GL accounts (<see cref="FinanceOptions"/>, section "Finance"), master data's cost centers
    /// ("Finance:MasterDataAppId", default "masterdata"), and the ERP client: Dapr HTTP service invocation to the ERP app
    /// ("Finance:ErpAppId", default "erp") behind the standard resilience handler, whose options
    /// ("Finance:ErpResilience", HttpStandardResilienceOptions) default to retries with backoff bounded by 10 s in all.
    /// </summary>
    public static IHostApplicationBuilder AddFinance(this IHostApplicationBuilder builder)
    {
        var store = builder.Configuration["Finance:StateStore"] ?? "statestore";
        var events = new ContractEvents(builder.Configuration["Finance:OutboxStore"] ?? "finance-outbox", "mesh/finance");
        builder.AddDaprSidecar();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.Configure<FinanceOptions>(builder.Configuration.GetSection("Finance"));
        builder.Services.AddSingleton(events);
        builder.Services.AddSingleton(sp => new ResourceStore<JournalEntry>(sp.GetRequiredService<DaprClient>(), store, "journal-entry", events));
        // Cost centers are read from a short-lived cache (SidecarInvocation.ForReads): a change is seen within its lifetime.
        builder.Services.AddSingleton<ICostCenters>(sp => new MasterDataCostCenters(new CostCenterService.CostCenterServiceClient(
            SidecarInvocation.ForReads(builder.Configuration, builder.Configuration["Finance:MasterDataAppId"] ?? "masterdata", sp.GetRequiredService<TimeProvider>()))));
        builder.Services.AddSingleton<JournalBook>();

        builder.AddSidecarHttpClient<IErp, ErpClient>(builder.Configuration["Finance:ErpAppId"] ?? "erp", "Finance:ErpResilience");
        return builder;
    }

    /// <summary>Maps the gRPC services.</summary>
    public static WebApplication MapFinanceApi(this WebApplication app)
    {
        app.MapGrpcService<JournalEntryApi>();
        return app;
    }
}
