using Dapr.Workflow;
using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar;
using Mesh.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Runtime.Tests.Workflow;

/// <summary>A sidecar and a workflow app using the stock Dapr.Workflow SDK against it, in this process.</summary>
public sealed class WorkflowTestbed : IAsyncLifetime
{
    private IHost app = null!;

    public DaprSidecar Sidecar { get; private set; } = null!;

    public ActivityLog Log { get; } = new();

    public DaprWorkflowClient Client => app.Services.GetRequiredService<DaprWorkflowClient>();

    public async Task InitializeAsync()
    {
        var directory = new AppDirectory();
        var endpoint = new AppEndpoint("workflows", "127.0.0.1", 0, "grpc");
        directory.Register(endpoint);
        Sidecar = await DaprSidecar.StartAsync(
            new SidecarSettings(endpoint, 0, 0, new Dictionary<string, IStateStore>(), new Dictionary<string, IPubSub>(), [], ResiliencySpec.None, directory),
            NullLoggerFactory.Instance,
            CancellationToken.None);

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
                options.RegisterActivity<ReserveStock>();
                options.RegisterActivity<CaptureCharge>();
                options.RegisterActivity<ReleaseStock>();
                options.RegisterActivity<Increment>();
            },
            (_, client) => client.UseGrpcEndpoint($"http://127.0.0.1:{Sidecar.GrpcPort}"));
        app = builder.Build();
        await app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await app.StopAsync();
        app.Dispose();
        await Sidecar.DisposeAsync();
    }
}
