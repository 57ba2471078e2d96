using Mesh.ErpStandIn;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Mesh.Testing.Apps;

/// <summary>
/// The apps of the inventory-to-charge flow, hosted in this process behind their sidecars and wired by their
/// own extension methods exactly as each Program.cs wires them, for end-to-end tests and benchmarks.
/// </summary>
public static class InventoryToChargeApps
{
    /// <summary>
    /// Starts the ERP stand-in, master data, inventory, charges and finance; <paramref name="financeSettings"/>
    /// tunes finance (e.g. its ERP client's resilience). The workflows app is started separately, in process
    /// (<see cref="StartWorkflowsAsync"/>) or as a real process.
    /// </summary>
    public static async Task StartServicesAsync(TestMesh mesh, IDictionary<string, string?>? financeSettings = null)
    {
        await mesh.StartAppAsync("erp", "http", b => b.AddErpStandIn(), app =>
        {
            app.MapErpApi();
            app.MapChaosApi();
        });
        await StartMasterDataAsync(mesh);
        await StartInventoryAsync(mesh);
        await StartServiceAsync(mesh, "charges", b => b.AddCharges(), app => app.MapChargesApi());
        await StartServiceAsync(mesh, "finance", b => b.AddFinance(), app => app.MapFinanceApi(), financeSettings);
    }

    /// <summary>Starts the master data app as app "masterdata" (grpc).</summary>
    public static Task<WebApplication> StartMasterDataAsync(TestMesh mesh) =>
        StartServiceAsync(mesh, "masterdata", b => b.AddMasterData(), app => app.MapMasterDataApi());

    /// <summary>Starts the inventory app as app "inventory" (grpc).</summary>
    public static Task<WebApplication> StartInventoryAsync(TestMesh mesh) =>
        StartServiceAsync(mesh, "inventory", b => b.AddInventory(), app => app.MapInventoryApi());

    /// <summary>Starts the procurement app as app "procurement" (grpc); <paramref name="settings"/> tune it (tolerances, ERP resilience).</summary>
    public static Task<WebApplication> StartProcurementAsync(TestMesh mesh, IDictionary<string, string?>? settings = null) =>
        StartServiceAsync(mesh, "procurement", b => b.AddProcurement(), app => app.MapProcurementApi(), settings);

    /// <summary>Starts the workflows app in this process; its sidecar (workflow timers) runs on <paramref name="clock"/> when given.</summary>
    public static Task<WebApplication> StartWorkflowsAsync(TestMesh mesh, IDictionary<string, string?>? settings = null, TimeProvider? clock = null) =>
        mesh.StartAppAsync("workflows", "h2c", b =>
        {
            b.AddServiceDefaults();
            b.AddWorkflows();
        }, app =>
        {
            app.MapDefaultEndpoints();
            app.MapWorkflowsApi();
        }, settings, clock);

    /// <summary>
    /// Starts a gRPC service app as app <paramref name="appId"/> with the service defaults, wired by its own
    /// <paramref name="add"/> and <paramref name="map"/> extension methods as its Program.cs wires it.
    /// </summary>
    public static Task<WebApplication> StartServiceAsync(
        TestMesh mesh, string appId, Action<WebApplicationBuilder> add, Action<WebApplication> map, IDictionary<string, string?>? settings = null) =>
        mesh.StartAppAsync(appId, "grpc", b =>
        {
            b.AddServiceDefaults();
            add(b);
        }, app =>
        {
            app.MapDefaultEndpoints();
            map(app);
        }, settings);
}
