using Mesh.Runtime.Configuration;
using Mesh.Runtime.Telemetry;
using Mesh.Scenarios;
using Mesh.Testing;
using Mesh.Testing.Apps;
using Mesh.Testing.Otlp;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>
/// The inventory-to-charge mesh with every app a real process exporting its spans by OTLP (the standard OTEL_*
/// variables) to a collector the test reads, and the mesh's sidecars exporting theirs to it too.
/// </summary>
public sealed class TracedMesh : IAsyncLifetime
{
    private TestMesh mesh = null!;

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
        mesh = await TestMesh.StartAsync(
            [.. InventoryToChargeApps.Processes(Collector.ExporterEnvironment()), TestApp.Client("clinic")],
            ResiliencySpec.None,
            new MetricsEndpoint(0) { Exporter = Collector.ExporterEnvironment() });
        Clients = new MeshClients(mesh.GrpcEndpointOf("clinic"), mesh.HttpEndpointOf("clinic"));
        Scenario = new InventoryToChargeScenario(Clients);
    }

    public async Task DisposeAsync()
    {
        Clients.Dispose();
        await mesh.DisposeAsync();
        await Collector.DisposeAsync();
    }
}
