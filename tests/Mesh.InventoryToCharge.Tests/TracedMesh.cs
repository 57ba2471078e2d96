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
    private List<ChildApp> apps = [];
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
        apps = await FlowProcesses.StartAsync(mesh, Collector.ExporterEnvironment());
        var clinic = await mesh.StartSidecarAsync("clinic");
        Clients = new MeshClients($"http://127.0.0.1:{clinic.GrpcPort}", $"http://127.0.0.1:{clinic.HttpPort}");
        Scenario = new InventoryToChargeScenario(Clients);
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
