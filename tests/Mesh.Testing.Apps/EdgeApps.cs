extern alias ingest;

namespace Mesh.Testing.Apps;

/// <summary>
/// The apps at the mesh's edge as dapr.yaml declares them, each hosted through its own Program: ingest (clinical
/// systems in) in this process, and the partner gateway as a real process in the environment its settings name.
/// Their other listeners (ingest's HTTP/1.1 one, the gateway's partner ones) move to the ports the settings give, or
/// to ports the OS picks.
/// </summary>
public static class EdgeApps
{
    /// <summary>Ingest, app "ingest" (grpc), with <paramref name="settings"/> (its MLLP port, inbox, retention).</summary>
    public static TestApp Ingest(IReadOnlyDictionary<string, string?>? settings = null) => TestApp.InProcess<ingest::Program>("ingest", "grpc", settings);

    /// <summary>The partner gateway, app "gateway" (http: its admin listener), as a process from its build.</summary>
    public static TestApp Gateway(IReadOnlyDictionary<string, string?> settings) =>
        TestApp.Process("gateway", "http", GatewayAssembly, settings);

    /// <summary>The gateway's built assembly.</summary>
    public static string GatewayAssembly => Repository.BuiltAssembly("services/gateway/Mesh.Gateway", "Mesh.Gateway");
}
