using Mesh.Runtime;

namespace Mesh.Testing;

/// <summary>
/// The inventory-to-charge apps as real processes (their built assemblies), each behind its sidecar in a
/// <see cref="TestMesh"/>, with deliveries started: ERP stand-in, master data, inventory, charges, finance, workflows.
/// </summary>
public static class FlowProcesses
{
    private static readonly (string AppId, string Protocol, string Folder, string Assembly, string Endpoint)[] Apps =
    [
        ("erp", "http", "services/erp-standin/Mesh.ErpStandIn", "Mesh.ErpStandIn", "Http"),
        ("masterdata", "grpc", "services/masterdata/Mesh.MasterData", "Mesh.MasterData", "Grpc"),
        ("inventory", "grpc", "services/inventory/Mesh.Inventory", "Mesh.Inventory", "App"),
        ("charges", "grpc", "services/charges/Mesh.Charges", "Mesh.Charges", "App"),
        ("finance", "grpc", "services/finance/Mesh.Finance", "Mesh.Finance", "App"),
        ("workflows", "h2c", "services/workflows/Mesh.Workflows", "Mesh.Workflows", "App"),
    ];

    /// <summary>Starts every app with the Dapr environment of its sidecar plus <paramref name="environment"/>; the caller disposes them.</summary>
    public static async Task<List<ChildApp>> StartAsync(TestMesh mesh, IReadOnlyDictionary<string, string?> environment)
    {
        var started = new List<ChildApp>();
        try
        {
            foreach (var (appId, protocol, folder, assembly, endpoint) in Apps)
            {
                var port = LoopbackPorts.Free();
                await mesh.StartSidecarAsync(appId, port, protocol);
                var variables = mesh.EnvironmentFor(appId);
                foreach (var (name, value) in environment)
                {
                    variables[name] = value;
                }

                started.Add(await ChildApp.StartAsync(ChildApp.BuiltAssembly(folder, assembly), endpoint, port, variables, http2Only: protocol != "http"));
                await mesh.SidecarOf(appId).StartDeliveriesAsync(CancellationToken.None);
            }

            return started;
        }
        catch
        {
            foreach (var app in started)
            {
                await app.DisposeAsync();
            }

            throw;
        }
    }
}
