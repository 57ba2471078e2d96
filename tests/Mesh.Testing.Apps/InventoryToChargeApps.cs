extern alias charges;
extern alias erp;
extern alias finance;
extern alias inventory;
extern alias masterdata;
extern alias procurement;
extern alias workflows;

using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Testing.Apps;

/// <summary>
/// The apps of the inventory-to-charge flow as dapr.yaml declares them (app id, protocol), each hosted through its
/// own Program: in this process (<see cref="TestApp.InProcess{TEntryPoint}"/>) or, for the workflows app, also as a
/// real process a test can kill. Settings are the app's configuration keys ("Finance:ErpResilience:Retry:Delay").
/// </summary>
public static class InventoryToChargeApps
{
    /// <summary>The ERP stand-in, app "erp" (http); <paramref name="configure"/> may observe its requests.</summary>
    public static TestApp Erp(Action<IWebHostBuilder>? configure = null) => TestApp.InProcess<erp::Program>("erp", "http", configure: configure);

    /// <summary>Master data, app "masterdata" (grpc); <paramref name="configure"/> may put faults into it.</summary>
    public static TestApp MasterData(Action<IWebHostBuilder>? configure = null) => TestApp.InProcess<masterdata::Program>("masterdata", "grpc", configure: configure);

    /// <summary>Inventory, app "inventory" (grpc); <paramref name="configure"/> may put faults into it.</summary>
    public static TestApp Inventory(Action<IWebHostBuilder>? configure = null) => TestApp.InProcess<inventory::Program>("inventory", "grpc", configure: configure);

    /// <summary>Charges, app "charges" (grpc); <paramref name="configure"/> may put faults into it.</summary>
    public static TestApp Charges(Action<IWebHostBuilder>? configure = null) => TestApp.InProcess<charges::Program>("charges", "grpc", configure: configure);

    /// <summary>Finance, app "finance" (grpc), with <paramref name="settings"/> (e.g. its ERP client's resilience).</summary>
    public static TestApp Finance(IReadOnlyDictionary<string, string?>? settings = null) => TestApp.InProcess<finance::Program>("finance", "grpc", settings);

    /// <summary>Procurement, app "procurement" (grpc), with <paramref name="settings"/> (tolerances, its ERP client's resilience).</summary>
    public static TestApp Procurement(IReadOnlyDictionary<string, string?>? settings = null) => TestApp.InProcess<procurement::Program>("procurement", "grpc", settings);

    /// <summary>
    /// The workflows app, app "workflows" (h2c: pub/sub, REST and gRPC on one HTTP/2 port), in this process (its meters
    /// and services are the test's to read); <paramref name="configure"/> may replace its services (e.g. its clock).
    /// </summary>
    public static TestApp Workflows(IReadOnlyDictionary<string, string?>? settings = null, Action<IWebHostBuilder>? configure = null) =>
        TestApp.InProcess<workflows::Program>("workflows", "h2c", settings, configure);

    /// <summary>
    /// The workflows app in this process on <paramref name="clock"/> (its TimeProvider: case timestamps and the stalled-case
    /// view); the workflow engine's durable timers run on the sidecar's clock, not on this one.
    /// </summary>
    public static TestApp Workflows(IReadOnlyDictionary<string, string?> settings, TimeProvider clock) =>
        Workflows(settings, web => web.ConfigureTestServices(services => services.AddSingleton(clock)));

    /// <summary>
    /// The workflows app as a real process from its build, so a test can SIGKILL it; in Development, as dapr.yaml runs
    /// it (it trusts the dev issuer's operator tokens there).
    /// </summary>
    public static TestApp WorkflowsProcess(IReadOnlyDictionary<string, string?>? settings = null) =>
        TestApp.Process("workflows", "h2c", Repository.BuiltAssembly("services/workflows/Mesh.Workflows", "Mesh.Workflows"),
            new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>()) { ["ASPNETCORE_ENVIRONMENT"] = "Development" });

    /// <summary>
    /// Every app of the flow, the saga's included, as real processes from their builds with <paramref name="settings"/>
    /// (e.g. OTEL_* variables): as under <c>mesh run</c>, each has its own tracer and meters, which apps sharing a
    /// process would not.
    /// </summary>
    public static TestApp[] Processes(IReadOnlyDictionary<string, string?> settings) =>
    [
        TestApp.Process("erp", "http", Repository.BuiltAssembly("services/erp-standin/Mesh.ErpStandIn", "Mesh.ErpStandIn"), settings),
        TestApp.Process("masterdata", "grpc", Repository.BuiltAssembly("services/masterdata/Mesh.MasterData", "Mesh.MasterData"), settings),
        TestApp.Process("inventory", "grpc", Repository.BuiltAssembly("services/inventory/Mesh.Inventory", "Mesh.Inventory"), settings),
        TestApp.Process("charges", "grpc", Repository.BuiltAssembly("services/charges/Mesh.Charges", "Mesh.Charges"), settings),
        TestApp.Process("finance", "grpc", Repository.BuiltAssembly("services/finance/Mesh.Finance", "Mesh.Finance"), settings),
        WorkflowsProcess(settings),
    ];

    /// <summary>
    /// Every app of the flow but the saga's: the ERP stand-in, master data, inventory, charges and finance;
    /// <paramref name="lostReplies"/>, when given, can make master data, inventory and charges lose their replies.
    /// </summary>
    public static TestApp[] Services(IReadOnlyDictionary<string, string?>? finance = null, LostReplies? lostReplies = null)
    {
        Action<IWebHostBuilder>? faults = lostReplies is null ? null : lostReplies.Into;
        return [Erp(), MasterData(faults), Inventory(faults), Charges(faults), Finance(finance)];
    }
}
