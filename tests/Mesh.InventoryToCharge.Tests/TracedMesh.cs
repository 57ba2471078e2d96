using Mesh.Runtime;
using Mesh.Runtime.Telemetry;
using Mesh.Scenarios;
using Mesh.Testing;
using Mesh.Testing.Otlp;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>
/// The inventory-to-charge mesh with every app a real process exporting its spans by OTLP (the standard OTEL_*
/// variables) to a collector the test reads, and the sidecars of this process exporting theirs to it too.
/// </summary>
public sealed class TracedMesh : IAsyncLifetime
{
    private readonly List<ChildApp> apps = [];
    private TestMesh mesh = null!;
    private RuntimeTelemetry telemetry = null!;

    /// <summary>What every process exported.</summary>
    public OtlpReceiver Collector { get; } = OtlpReceiver.Start();

    /// <summary>Clients of the mesh through the clinic's sidecar.</summary>
    public MeshClients Clients { get; private set; } = null!;

    /// <summary>The scenario runner over <see cref="Clients"/>.</summary>
    public InventoryToChargeScenario Scenario { get; private set; } = null!;

    /// <summary>The CloudEvents published on <paramref name="topic"/> so far.</summary>
    public Task<List<System.Text.Json.Nodes.JsonNode>> PublishedAsync(string topic) => mesh.PublishedAsync(topic);

    public async Task InitializeAsync()
    {
        telemetry = await RuntimeTelemetry.StartAsync(0, Collector.ExporterEnvironment());
        mesh = await TestMesh.StartAsync();
        await StartAsync("erp", "http", "services/erp-standin/Mesh.ErpStandIn", "Mesh.ErpStandIn", "Http");
        await StartAsync("masterdata", "grpc", "services/masterdata/Mesh.MasterData", "Mesh.MasterData", "Grpc");
        await StartAsync("inventory", "grpc", "services/inventory/Mesh.Inventory", "Mesh.Inventory", "App");
        await StartAsync("charges", "grpc", "services/charges/Mesh.Charges", "Mesh.Charges", "App");
        await StartAsync("finance", "grpc", "services/finance/Mesh.Finance", "Mesh.Finance", "App");
        await StartAsync("workflows", "h2c", "services/workflows/Mesh.Workflows", "Mesh.Workflows", "App");
        var clinic = await mesh.StartSidecarAsync("clinic");
        Clients = new MeshClients($"http://127.0.0.1:{clinic.GrpcPort}", $"http://127.0.0.1:{clinic.HttpPort}");
        Scenario = new InventoryToChargeScenario(Clients);
    }

    /// <summary>What the apps wrote, for a failure message.</summary>
    public string Output => string.Join('\n', apps.Select(a => a.Output));

    private async Task StartAsync(string appId, string protocol, string folder, string assembly, string endpoint)
    {
        var port = LoopbackPorts.Free();
        await mesh.StartSidecarAsync(appId, port, protocol);
        var environment = mesh.EnvironmentFor(appId);
        foreach (var (name, value) in Collector.ExporterEnvironment())
        {
            environment[name] = value;
        }

        apps.Add(await ChildApp.StartAsync(ChildApp.BuiltAssembly(folder, assembly), endpoint, port, environment, http2Only: protocol != "http"));
        await mesh.SidecarOf(appId).StartDeliveriesAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        Clients.Dispose();
        foreach (var app in apps)
        {
            await app.DisposeAsync();
        }

        await mesh.DisposeAsync();
        await telemetry.DisposeAsync();
        await Collector.DisposeAsync();
    }
}
