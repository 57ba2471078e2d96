using Mesh.Runtime.Configuration;

namespace Mesh.Runtime.Tests.Cli;

/// <summary>App specs as the run file loader would produce them.</summary>
internal static class TestApps
{
    public static AppSpec Spec(
        string appId, int appPort = 0, string protocol = "http", Dictionary<string, string>? env = null, bool healthCheck = false, string? healthPath = null) =>
        new(appId, "/", appPort, protocol, "127.0.0.1", null, null, [], env ?? [], [], healthPath, healthCheck, "info");
}
