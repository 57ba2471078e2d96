using Dapr;
using Dapr.Workflow;
using Google.Protobuf.Reflection;
using Mesh.Workflows.Cases;
using Mesh.Workflows.Cases.Grpc;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Wiring of the workflows app: what every saga shares (the Dapr clients, the workflow runtime, the case API over
/// gRPC and REST) and the sagas themselves, each wired by its own folder's extensions.
/// </summary>
public static class WorkflowsExtensions
{
    /// <summary>Registers the Dapr clients, the workflow runtime, the case API with operator identity, and every saga.</summary>
    /// <exception cref="Mesh.Workflows.Cases.Operators.WorkflowsConfigurationException">The operator token settings are unsafe.</exception>
    public static IHostApplicationBuilder AddWorkflows(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.AddDaprSidecar();
        // Tests and `mesh run` hand the sidecar's address in configuration; under daprd it is in the environment.
        var sidecar = builder.Configuration["DAPR_GRPC_ENDPOINT"] ?? DaprDefaults.GetDefaultGrpcEndpoint();
        // The SDK's source generator registers every Workflow and WorkflowActivity of this assembly; registering
        // them here again only earns "already registered" warnings.
        builder.Services.AddDaprWorkflowBuilder(_ => { }, (_, client) => client.UseGrpcEndpoint(sidecar));
        // The case timelines read saga histories from the same sidecar, with the token the SDK would send.
        var apiToken = DaprDefaults.GetDefaultDaprApiToken(builder.Configuration);
        builder.Services.AddSingleton(_ => new SagaHistory(sidecar, apiToken));
        // REST errors carry the same google.rpc details as gRPC ones; transcoding needs their types to write them.
        builder.Services.AddGrpc().AddJsonTranscoding(o => o.TypeRegistry = TypeRegistry.FromFiles(Google.Rpc.ErrorDetailsReflection.Descriptor));
        builder.Services.AddSingleton<CaseFlows>();
        builder.AddOperatorIdentity();

        builder.AddInventoryToCharge();
        builder.AddProcureToPay();
        return builder;
    }

    /// <summary>
    /// Maps the subscription discovery (Dapr reads /dapr/subscribe), the case API (gRPC, and REST by JSON
    /// transcoding) and each saga's routes.
    /// </summary>
    public static WebApplication MapWorkflowsApi(this WebApplication app)
    {
        app.UseCloudEvents();
        app.MapSubscribeHandler();
        app.MapGrpcService<CaseApi>();

        app.MapInventoryToCharge();
        app.MapProcureToPay();
        return app;
    }
}
