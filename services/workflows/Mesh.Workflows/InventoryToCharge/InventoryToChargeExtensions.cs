using Dapr;
using Dapr.Client;
using Grpc.Core;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.Classification;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Resources;
using Mesh.Workflows.Cases;
using Mesh.Workflows.InventoryToCharge;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the inventory-to-charge saga: its settings, its clients of other apps, its event intake and its cases.</summary>
public static class InventoryToChargeExtensions
{
    private const string MasterData = "masterdata";

    /// <summary>Registers the saga's settings ("Workflows" section), gRPC clients through the sidecar, intake, ledger and case flow.</summary>
    public static IHostApplicationBuilder AddInventoryToCharge(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<InventoryToChargeOptions>(builder.Configuration.GetSection("Workflows"));
        // Master data's items, locations and cost centers, read on every event, come from one short-lived cache
        // (SidecarInvocation.ForReads): a change in master data is seen within its lifetime.
        builder.Services.AddKeyedSingleton(MasterData, (sp, _) => SidecarInvocation.ForReads(builder.Configuration, MasterData, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp => new ItemService.ItemServiceClient(sp.GetRequiredKeyedService<CallInvoker>(MasterData)));
        builder.Services.AddSingleton(sp => new LocationService.LocationServiceClient(sp.GetRequiredKeyedService<CallInvoker>(MasterData)));
        builder.Services.AddSingleton(sp => new CostCenterService.CostCenterServiceClient(sp.GetRequiredKeyedService<CallInvoker>(MasterData)));
        builder.Services.AddSingleton(new InventoryService.InventoryServiceClient(SidecarInvocation.For(builder.Configuration, "inventory")));
        builder.Services.AddSingleton(new ChargeService.ChargeServiceClient(SidecarInvocation.For(builder.Configuration, "charges")));
        builder.Services.AddSingleton(new JournalEntryService.JournalEntryServiceClient(SidecarInvocation.For(builder.Configuration, "finance")));
        builder.Services.AddSingleton<CaseMetrics>();
        builder.Services.AddSingleton<CaseLedger>();
        builder.Services.AddSingleton<CasePatients>();
        builder.Services.AddSingleton<ConsumptionIntake>();
        builder.Services.AddSingleton<ICaseFlow, InventoryToChargeFlow>();
        return builder;
    }

    /// <summary>
    /// Maps the ItemConsumed subscription (undeliverable events go to a dead-letter topic) and the dead-letter
    /// subscription, which puts what could not be processed on the exception queue instead of losing sight of it.
    /// </summary>
    public static WebApplication MapInventoryToCharge(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<InventoryToChargeOptions>>().Value;
        app.MapPost("/inventory-to-charge/consumptions", (HttpRequest request, ConsumptionIntake intake, CancellationToken ct) => intake.AcceptAsync(request, ct))
            .WithTopic(new TopicOptions { PubsubName = options.PubSub, Name = ConsumptionIntake.Topic, DeadLetterTopic = ConsumptionIntake.DeadLetterTopic });
        app.MapPost("/inventory-to-charge/dead-letters", (HttpRequest request, ConsumptionIntake intake, CancellationToken ct) => intake.DeadLetteredAsync(request, ct))
            .WithTopic(options.PubSub, ConsumptionIntake.DeadLetterTopic);
        return app;
    }
}
