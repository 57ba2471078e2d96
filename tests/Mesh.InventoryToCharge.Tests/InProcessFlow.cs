using Mesh.Scenarios;
using Mesh.Testing;
using Mesh.Testing.Apps;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>
/// The whole flow with the workflows app hosted in this process too (so a test can read its meters, or give it
/// settings of its own), every app through its own Program behind real sidecars on a real redis-server; the clinic's
/// clients call through a sidecar.
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

    /// <summary>
    /// Starts the flow; <paramref name="workflows"/> and <paramref name="finance"/> tune those apps (configuration keys),
    /// and <paramref name="lostReplies"/> can make master data, inventory and charges lose their replies.
    /// </summary>
    public static async Task<InProcessFlow> StartAsync(
        IReadOnlyDictionary<string, string?>? workflows = null, IReadOnlyDictionary<string, string?>? finance = null, LostReplies? lostReplies = null)
    {
        var mesh = await TestMesh.StartAsync([.. InventoryToChargeApps.Services(finance, lostReplies), InventoryToChargeApps.Workflows(workflows), TestApp.Client("clinic")]);
        return new InProcessFlow(mesh, mesh.ServicesOf("workflows"), new MeshClients(mesh.GrpcEndpointOf("clinic"), mesh.HttpEndpointOf("clinic"), operatorToken: OperatorTokens.Mint("test-operator")));
    }

    /// <summary>Clients through the clinic's sidecar that send <paramref name="operatorToken"/> to the case API (none when null).</summary>
    public MeshClients ClientsWith(string? operatorToken) => new(mesh.GrpcEndpointOf("clinic"), mesh.HttpEndpointOf("clinic"), operatorToken: operatorToken);

    /// <summary>The CloudEvents published on <paramref name="topic"/> so far.</summary>
    public Task<List<System.Text.Json.Nodes.JsonNode>> PublishedAsync(string topic) => mesh.PublishedAsync(topic);

    /// <summary>Waits until every subscriber of <paramref name="topic"/> acknowledged what was published on it so far.</summary>
    public Task AcknowledgedAsync(string topic, TimeSpan patience) => mesh.AcknowledgedAsync(topic, patience);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Clients.Dispose();
        await mesh.DisposeAsync();
    }
}
