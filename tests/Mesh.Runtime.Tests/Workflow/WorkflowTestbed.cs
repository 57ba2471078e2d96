using Dapr.Workflow;
using Mesh.Runtime.Components;
using Mesh.Runtime.Hosting;
using Mesh.Runtime.Sidecar;
using Mesh.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.Runtime.Tests.Workflow;

/// <summary>A mesh of one app: its sidecar, and a workflow app using the stock Dapr.Workflow SDK against it, in this process.</summary>
public class WorkflowTestbed : IAsyncLifetime
{
    private IHost app = null!;
    private MeshHost mesh = null!;

    public DaprSidecar Sidecar => mesh.SidecarOf("workflows");

    public ActivityLog Log { get; } = new();

    public DaprWorkflowClient Client => app.Services.GetRequiredService<DaprWorkflowClient>();

    /// <summary>The components of the sidecar; none means workflows live in memory only.</summary>
    protected virtual IReadOnlyList<ComponentDefinition> Components => [];

    public virtual async Task InitializeAsync() => await StartAsync();

    /// <summary>Starts the sidecar and the workflow app.</summary>
    public async Task StartAsync()
    {
        mesh = await MeshHost.StartAsync([MeshApp.Create("workflows", 0, "grpc", Components)]);

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{Sidecar.GrpcPort}",
            ["DAPR_HTTP_ENDPOINT"] = $"http://127.0.0.1:{Sidecar.HttpPort}",
        });
        builder.Services.AddSingleton(Log);
        builder.Services.AddDaprWorkflowBuilder(
            options =>
            {
                options.RegisterWorkflow<SupplySaga>();
                options.RegisterWorkflow<ChainWorkflow>();
                options.RegisterWorkflow<ParentWorkflow>();
                options.RegisterWorkflow<RetryingWorkflow>();
                options.RegisterActivity<Flaky>();
                options.RegisterActivity<ReserveStock>();
                options.RegisterActivity<CaptureCharge>();
                options.RegisterActivity<ReleaseStock>();
                options.RegisterActivity<Increment>();
            },
            (_, client) => client.UseGrpcEndpoint($"http://127.0.0.1:{Sidecar.GrpcPort}"));
        app = builder.Build();
        await app.StartAsync();
    }

    /// <summary>Stops the app and the sidecar: what the workflow engine had in memory is gone.</summary>
    public async Task StopAsync()
    {
        await app.StopAsync();
        app.Dispose();
        await mesh.DisposeAsync();
    }

    public virtual async Task DisposeAsync() => await StopAsync();
}

/// <summary>The same, with the workflow state in a real Redis (the actor state store), which outlives restarts.</summary>
public sealed class RedisWorkflowTestbed : WorkflowTestbed
{
    private RedisServer redis = null!;

    protected override IReadOnlyList<ComponentDefinition> Components =>
    [
        new ComponentDefinition("statestore", "state.redis", "v1", new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["redisHost"] = redis.ConnectionString,
            ["actorStateStore"] = "true",
        }, [], "statestore.yaml"),
    ];

    public override async Task InitializeAsync()
    {
        redis = await RedisServer.StartAsync(appendOnly: true);
        await StartAsync();
    }

    public override async Task DisposeAsync()
    {
        await StopAsync();
        await redis.DisposeAsync();
    }
}
