using Mesh.Runtime;
using Mesh.Scenarios;
using Mesh.Testing;
using Mesh.Testing.Apps;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>
/// The whole inventory-to-charge mesh on real parts: redis-server, a sidecar per app, master data, inventory,
/// charges, finance and the ERP stand-in hosted here as their Program.cs wires them, and the workflows app as
/// a real process (so a test can SIGKILL it). Tests act as the clinical system through the sidecar of "clinic".
/// </summary>
public sealed class InventoryToChargeMesh : IAsyncLifetime
{
    private TestMesh mesh = null!;
    private int workflowsPort;

    /// <summary>Clients of the mesh through the clinic's sidecar.</summary>
    public MeshClients Clients { get; private set; } = null!;

    /// <summary>The scenario runner over <see cref="Clients"/>.</summary>
    public InventoryToChargeScenario Scenario { get; private set; } = null!;

    /// <summary>The workflows app process.</summary>
    public ChildApp Workflows { get; private set; } = null!;

    /// <summary>The CloudEvents published on <paramref name="topic"/> so far.</summary>
    public Task<List<System.Text.Json.Nodes.JsonNode>> PublishedAsync(string topic) => mesh.PublishedAsync(topic);

    /// <summary>The contract events <paramref name="appId"/> published through its outbox, once that settled.</summary>
    public Task<List<System.Text.Json.Nodes.JsonObject>> AnnouncedAsync(string appId) => OutboxEvents.SettledAsync(mesh, appId);

    public async Task InitializeAsync()
    {
        mesh = await TestMesh.StartAsync();
        await InventoryToChargeApps.StartServicesAsync(mesh, FinanceSettings);

        workflowsPort = LoopbackPorts.Free();
        await mesh.StartSidecarAsync("workflows", workflowsPort, "h2c");
        await StartWorkflowsAsync();
        await mesh.SidecarOf("workflows").StartDeliveriesAsync(CancellationToken.None);

        var clinic = await mesh.StartSidecarAsync("clinic");
        Clients = new MeshClients($"http://127.0.0.1:{clinic.GrpcPort}", $"http://127.0.0.1:{clinic.HttpPort}");
        Scenario = new InventoryToChargeScenario(Clients);
    }

    // The ERP client gives up quickly here, so the saga's own durable retries carry an outage.
    private static Dictionary<string, string?> FinanceSettings => new()
    {
        ["Finance:ErpResilience:TotalRequestTimeout:Timeout"] = "00:00:02",
        ["Finance:ErpResilience:AttemptTimeout:Timeout"] = "00:00:01",
        ["Finance:ErpResilience:Retry:Delay"] = "00:00:00.100",
    };

    /// <summary>Starts (or restarts) the workflows app process against its sidecar.</summary>
    public async Task StartWorkflowsAsync()
    {
        var environment = mesh.EnvironmentFor("workflows");
        environment["Workflows__FirstRetryInterval"] = "00:00:00.250";
        environment["Workflows__MaxRetryInterval"] = "00:00:01";
        environment["Workflows__PostingAttempts"] = "60";
        environment["Logging__LogLevel__Default"] = "Information";
        Workflows = await ChildApp.StartAsync(ChildApp.BuiltAssembly("services/workflows/Mesh.Workflows", "Mesh.Workflows"), "App", workflowsPort, environment, http2Only: true);
    }

    /// <summary>Switches the ERP stand-in's chaos mode ("Normal", "Down", "Unavailable", "Throttle", "Reject", ...).</summary>
    public Task SetErpAsync(string mode) => Clients.SetErpChaosAsync(mode, CancellationToken.None);

    /// <summary>Sends the events, waits until they settled and reconciles every system.</summary>
    public async Task<(ReconciliationReport Report, List<Mesh.Contracts.Workflows.V1.Case> Cases)> RunAsync(
        SeededCatalog catalog, List<Mesh.Contracts.Inventory.V1.ItemConsumed> events, ScenarioSpec spec, TimeSpan timeout)
    {
        var duplicates = await Scenario.SendAsync(events, spec, parallelism: 8, CancellationToken.None);
        var cases = await Scenario.AwaitSettledAsync([.. events.Select(e => e.Context.EventId)], timeout, null, CancellationToken.None);
        return (await Scenario.ReconcileAsync(catalog, events, duplicates, cases, CancellationToken.None), cases);
    }

    public async Task DisposeAsync()
    {
        Clients.Dispose();
        await Workflows.DisposeAsync();
        await mesh.DisposeAsync();
    }
}
