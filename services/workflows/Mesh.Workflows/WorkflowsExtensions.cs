using Mesh.Resources;
using Dapr;
using Dapr.Client;
using Dapr.Workflow;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.Classification;
using Mesh.Contracts.Finance.V1;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Workflows.InventoryToCharge;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>Wiring of the workflows app: the sagas, their service clients, the event intake and the case API.</summary>
public static class WorkflowsExtensions
{
    /// <summary>Registers the workflows and activities, the Dapr clients, and gRPC clients that call through the sidecar.</summary>
    public static IHostApplicationBuilder AddWorkflows(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<InventoryToChargeOptions>(builder.Configuration.GetSection("Workflows"));
        builder.Services.AddDaprClient();
        // Tests and `mesh run` hand the sidecar's address in configuration; under daprd it is in the environment.
        var sidecar = builder.Configuration["DAPR_GRPC_ENDPOINT"] ?? DaprDefaults.GetDefaultGrpcEndpoint();
        // The SDK's source generator registers every Workflow and WorkflowActivity of this assembly; registering
        // them here again only earns "already registered" warnings.
        builder.Services.AddDaprWorkflowBuilder(_ => { }, (_, client) => client.UseGrpcEndpoint(sidecar));

        var masterData = SidecarInvocation.For(builder.Configuration, "masterdata");
        builder.Services.AddSingleton(new ItemService.ItemServiceClient(masterData));
        builder.Services.AddSingleton(new LocationService.LocationServiceClient(masterData));
        builder.Services.AddSingleton(new CostCenterService.CostCenterServiceClient(masterData));
        builder.Services.AddSingleton(new InventoryService.InventoryServiceClient(SidecarInvocation.For(builder.Configuration, "inventory")));
        builder.Services.AddSingleton(new ChargeService.ChargeServiceClient(SidecarInvocation.For(builder.Configuration, "charges")));
        builder.Services.AddSingleton(new JournalEntryService.JournalEntryServiceClient(SidecarInvocation.For(builder.Configuration, "finance")));
        builder.Services.AddSingleton<CaseMetrics>();
        builder.Services.AddSingleton<CaseLedger>();
        builder.Services.AddSingleton<ConsumptionIntake>();
        return builder;
    }

    /// <summary>
    /// Maps the ItemConsumed subscription (Dapr discovers it on /dapr/subscribe; undeliverable events go to a
    /// dead-letter topic) and the case API operators and the demo read: outcomes and the exception queue.
    /// </summary>
    public static WebApplication MapWorkflowsApi(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<InventoryToChargeOptions>>().Value;
        var consumed = ContractCatalog.TopicOf(ItemConsumed.Descriptor);
        app.UseCloudEvents();
        app.MapSubscribeHandler();
        app.MapPost("/inventory-to-charge/consumptions", (HttpRequest request, ConsumptionIntake intake, CancellationToken ct) => intake.AcceptAsync(request, ct))
            .WithTopic(new TopicOptions { PubsubName = options.PubSub, Name = consumed, DeadLetterTopic = $"{consumed}.deadletter" });
        // What could not be processed is not lost from sight: it lands on the exception queue.
        app.MapPost("/inventory-to-charge/dead-letters", (HttpRequest request, ConsumptionIntake intake, CancellationToken ct) => intake.DeadLetteredAsync(request, ct))
            .WithTopic(options.PubSub, $"{consumed}.deadletter");

        var cases = app.MapGroup("/inventory-to-charge");
        cases.MapGet("/cases/{eventId}", async (string eventId, CaseLedger ledger, DaprWorkflowClient workflows, CancellationToken ct) =>
        {
            if ((await ledger.OutcomesAsync([eventId], ct)).SingleOrDefault() is { } outcome)
            {
                return Results.Ok(outcome);
            }

            var saga = await workflows.GetWorkflowStateAsync(ConsumptionIntake.InstanceIdOf(eventId), getInputsAndOutputs: false, ct);
            return saga?.Exists == true
                ? Results.Accepted(value: new { eventId, status = saga.RuntimeStatus.ToString() })
                : Results.NotFound(new { eventId, error = $"no case for event {eventId}" });
        });
        cases.MapPost("/cases/batch-get", async (CaseQuery query, CaseLedger ledger, CancellationToken ct) =>
            query.EventIds is not { Count: > 0 and <= 10_000 } ids
                ? Results.BadRequest(new { error = "eventIds: give 1 to 10000 event ids" })
                : Results.Ok(await ledger.OutcomesAsync(ids, ct)));
        cases.MapGet("/exceptions", async (CaseLedger ledger, CancellationToken ct) => Results.Ok(await ledger.ExceptionsAsync(ct)));
        cases.MapPost("/exceptions/{eventId}/replay", async (string eventId, CaseLedger ledger, DaprWorkflowClient workflows, ConsumptionIntake intake, CancellationToken ct) =>
        {
            var outcome = (await ledger.OutcomesAsync([eventId], ct)).SingleOrDefault();
            if (outcome is not { Status: CaseOutcome.Exception })
            {
                return Results.NotFound(new { eventId, error = $"event {eventId} is not on the exception queue" });
            }

            if (!outcome.Replayable)
            {
                return Results.Conflict(new { eventId, error = $"event {eventId} ended {outcome.Reason} and cannot be replayed; dismiss it once dealt with" });
            }

            var original = await workflows.GetWorkflowStateAsync(ConsumptionIntake.InstanceIdOf(eventId), getInputsAndOutputs: true, ct);
            if (original is not { Exists: true } || original.ReadInputAs<ConsumptionCase>() is not { } consumption)
            {
                return Results.Conflict(new { eventId, error = $"the saga of event {eventId} was purged with its input; send the event again" });
            }

            // One replay per exception outcome: a second click finds the replay already started.
            var replay = $"{ConsumptionIntake.InstanceIdOf(eventId)}-replay-{outcome.FinishTime.UtcTicks}";
            var started = await intake.StartAsync(consumption with { Prior = new PriorEffects(outcome.Movement, outcome.Charge) }, replay, ct);
            return Results.Accepted(value: new { eventId, replay, started });
        });
        cases.MapPost("/exceptions/{eventId}/dismiss", async (string eventId, CaseLedger ledger, CancellationToken ct) =>
            await ledger.DismissAsync(eventId, ct)
                ? Results.Ok(new { eventId, dismissed = true })
                : Results.NotFound(new { eventId, error = $"event {eventId} is not on the exception queue" }));
        return app;
    }
}

/// <summary>The body of a batch read of case outcomes.</summary>
/// <param name="EventIds">The event ids of the cases.</param>
public sealed record CaseQuery(IReadOnlyList<string>? EventIds);
