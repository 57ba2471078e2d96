using Mesh.Scenarios;
using Mesh.Testing;
using Mesh.Testing.Apps;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>
/// The whole flow with the workflows app hosted in this process too (so a test can read its meters, or give it
/// settings of its own), behind real sidecars on a real redis-server; the clinic's clients call through a sidecar.
/// </summary>
public sealed class InProcessFlow : IAsyncDisposable
{
    private readonly TestMesh mesh;

    private InProcessFlow(TestMesh mesh, IServiceProvider workflows, MeshClients clients)
    {
        this.mesh = mesh;
        Workflows = workflows;
        Clients = clients;
        Scenario = new InventoryToChargeScenario(clients);
    }

    /// <summary>The workflows app's services (its meter factory, for one).</summary>
    public IServiceProvider Workflows { get; }

    /// <summary>Clients of the mesh through the clinic's sidecar.</summary>
    public MeshClients Clients { get; }

    /// <summary>The scenario runner over <see cref="Clients"/>.</summary>
    public InventoryToChargeScenario Scenario { get; }

    /// <summary>Starts the flow; <paramref name="workflows"/> and <paramref name="finance"/> tune those apps.</summary>
    public static async Task<InProcessFlow> StartAsync(IDictionary<string, string?>? workflows = null, IDictionary<string, string?>? finance = null)
    {
        var mesh = await TestMesh.StartAsync();
        await InventoryToChargeApps.StartServicesAsync(mesh, finance);
        var app = await InventoryToChargeApps.StartWorkflowsAsync(mesh, workflows);
        var clinic = await mesh.StartSidecarAsync("clinic");
        return new InProcessFlow(mesh, app.Services, new MeshClients($"http://127.0.0.1:{clinic.GrpcPort}", $"http://127.0.0.1:{clinic.HttpPort}"));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Clients.Dispose();
        await mesh.DisposeAsync();
    }
}
