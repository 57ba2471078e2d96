using Mesh.Cli;
using Mesh.Runtime.Tests.Configuration;

namespace Mesh.Runtime.Tests.Cli;

/// <summary>
/// <c>mesh demo inventory-to-charge</c> on the repository's own dapr.yaml and components: every app as a real
/// process from its Release build (as `dotnet test Mesh.sln -c Release` leaves them), mesh's own redis-server.
/// </summary>
public sealed class MeshDemoTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly CapturedOutput output = new();
    private readonly CapturedOutput error = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task Demo_OnTheRepositoryMesh_SettlesEveryEventAndReconciles()
    {
        var root = RunFileLoaderTests.RepositoryRoot();
        var redis = $"127.0.0.1:{LoopbackPorts.Free()}";
        // The repository's files with their paths made absolute, their Redis moved to a free port (mesh starts a
        // redis-server there, under this folder), and the registry pointed at it too.
        foreach (var component in Directory.EnumerateFiles(Path.Combine(root, "components"), "*.yaml"))
        {
            folder.Write(Path.Combine("components", Path.GetFileName(component)), File.ReadAllText(component).Replace("127.0.0.1:6379", redis, StringComparison.Ordinal));
        }

        var runFile = folder.Write("dapr.yaml", File.ReadAllText(Path.Combine(root, "dapr.yaml"))
            .Replace("./components", Path.Combine(folder.Path, "components"), StringComparison.Ordinal)
            .Replace("appDirPath: ./", $"appDirPath: {root}/", StringComparison.Ordinal)
            .Replace("ASPNETCORE_ENVIRONMENT: Development", $"ASPNETCORE_ENVIRONMENT: Development\n    ConnectionStrings__registry: \"{redis}\"", StringComparison.Ordinal));

        var code = await MeshCli.RunAsync(["demo", "inventory-to-charge", "-f", runFile, "--events", "30", "--locations", "2", "--unknown-items", "0.1", "--timeout", "120"], output.Writer, error.Writer);

        var report = output.ToString();
        Assert.True(code == 0, $"exit {code}\n{report}\n{error}\n{File.ReadAllText(Path.Combine(folder.Path, ".mesh", "demo.log"))}");
        Assert.Contains("RECONCILED: every event is accounted for once in every system.", report, StringComparison.Ordinal);
        Assert.Matches(@"cases settled\s+30\s", report);
        Assert.Matches(@"duplicates\s+0\s", report);
    }
}
