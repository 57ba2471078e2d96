using Mesh.Runtime.Configuration;
using Mesh.Runtime.Telemetry;
using Mesh.Scenarios;
using Mesh.Testing;
using Mesh.Testing.Apps;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>
/// The whole inventory-to-charge mesh on real parts: redis-server, a sidecar per app, master data, inventory,
/// charges, finance and the ERP stand-in hosted here through their own Program, and the workflows app as a real
/// process (so a test can SIGKILL it). Tests act as the clinical system through the sidecar of "clinic".
/// </summary>
public class InventoryToChargeMesh : IAsyncLifetime
{
    private readonly string clinicAppId;
    private TestMesh mesh = null!;

    /// <summary>The mesh with the clinical system as app "clinic".</summary>
    public InventoryToChargeMesh()
        : this("clinic")
    {
    }

    /// <summary>The mesh with the clinical system as <paramref name="clinicAppId"/>, for metrics of its own.</summary>
    protected InventoryToChargeMesh(string clinicAppId) => this.clinicAppId = clinicAppId;

    /// <summary>The runtime's metrics endpoint (every sidecar of this test process).</summary>
    public RuntimeTelemetry Telemetry => mesh.Host.Telemetry!;

    /// <summary>Clients of the mesh through the clinic's sidecar.</summary>
    public MeshClients Clients { get; private set; } = null!;

    /// <summary>The scenario runner over <see cref="Clients"/>.</summary>
    public InventoryToChargeScenario Scenario { get; private set; } = null!;

    /// <summary>The workflows app process.</summary>
    public ChildApp Workflows => mesh.AppOf<ChildApp>("workflows");

    /// <summary>The CloudEvents published on <paramref name="topic"/> so far.</summary>
    public Task<List<System.Text.Json.Nodes.JsonNode>> PublishedAsync(string topic) => mesh.PublishedAsync(topic);

    /// <summary>Waits until every subscriber of <paramref name="topic"/> acknowledged what was published on it so far.</summary>
    public Task AcknowledgedAsync(string topic, TimeSpan patience) => mesh.AcknowledgedAsync(topic, patience);

    /// <summary>The contract events <paramref name="appId"/> published through its outbox, once that settled.</summary>
    public Task<List<System.Text.Json.Nodes.JsonObject>> AnnouncedAsync(string appId) => OutboxEvents.SettledAsync(mesh, appId);

    public async Task InitializeAsync()
    {
        mesh = await TestMesh.StartAsync(
            [.. InventoryToChargeApps.Services(FinanceSettings), InventoryToChargeApps.WorkflowsProcess(WorkflowsSettings), TestApp.Client(clinicAppId)],
            ResiliencySpec.None,
            new MetricsEndpoint(0));
        Clients = new MeshClients(mesh.GrpcEndpointOf(clinicAppId), mesh.HttpEndpointOf(clinicAppId), operatorToken: OperatorTokens.Mint("test-operator"));
        Scenario = new InventoryToChargeScenario(Clients);
    }

    // The ERP client gives up quickly here, so the saga's own durable retries carry an outage.
    private static Dictionary<string, string?> FinanceSettings => new()
    {
        ["Finance:ErpResilience:TotalRequestTimeout:Timeout"] = "00:00:02",
        ["Finance:ErpResilience:AttemptTimeout:Timeout"] = "00:00:01",
        ["Finance:ErpResilience:Retry:Delay"] = "00:00:00.100",
    };

    private static Dictionary<string, string?> WorkflowsSettings => new()
    {
        ["Workflows:FirstRetryInterval"] = "00:00:00.250",
        ["Workflows:MaxRetryInterval"] = "00:00:01",
        ["Workflows:PostingAttempts"] = "60",
        ["Logging:LogLevel:Default"] = "Information",
    };

    /// <summary>Starts the workflows app process again against its sidecar (after a test killed it).</summary>
    public Task StartWorkflowsAsync() => mesh.RestartAppAsync("workflows");

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
        await mesh.DisposeAsync();
    }
}
