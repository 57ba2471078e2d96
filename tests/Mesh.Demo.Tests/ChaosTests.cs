using System.Diagnostics;
using System.Globalization;

namespace Mesh.Demo.Tests;

/// <summary>
/// The chaos suite's kill scenario on the real mesh: while <c>mesh demo inventory-to-charge</c> runs, each app of the
/// flow is killed with SIGKILL in turn; mesh restarts it, and the run still accounts for every event once.
/// </summary>
public sealed class ChaosTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan Restart = TimeSpan.FromMinutes(2);

    // Each app of the flow with the assembly its process runs (under `dotnet run`, a child of the command mesh started).
    private static readonly (string AppId, string Assembly)[] FlowApps =
    [
        ("workflows", "Mesh.Workflows"), ("inventory", "Mesh.Inventory"), ("charges", "Mesh.Charges"), ("finance", "Mesh.Finance"), ("masterdata", "Mesh.MasterData"),
    ];

    private readonly RepositoryMesh mesh = new();

    public void Dispose() => mesh.Dispose();

    [Fact]
    public async Task Demo_EachFlowAppKilledMidRun_IsRestartedAndEveryEventIsAccountedForOnce()
    {
        using var demo = MeshCommand.Start(
            mesh.Folder, ["demo", "inventory-to-charge", "-f", mesh.RunFile, "--events", "300", "--locations", "2", "--unknown-items", "0.05", "--timeout", "300"]);
        // Once the catalog is seeded, the kills fall while events are sent and settle.
        await demo.WaitForOutputAsync(": seeded ", Patience);

        foreach (var (appId, assembly) in FlowApps)
        {
            KillDescendant(demo.Id, assembly);
            await WaitForLogAsync($"mesh: restarted app '{appId}'");
        }

        var (code, report, error) = await demo.ExitAsync(Patience);

        Assert.True(code == 0, $"exit {code}\n{report}\n{error}\n{mesh.DemoLog}");
        Assert.Contains("RECONCILED: every event is accounted for once in every system.", report, StringComparison.Ordinal);
        Assert.Matches(@"cases settled\s+300\s", report);
        Assert.Matches(@"duplicates\s+0\s", report);
        Assert.All(FlowApps, app => Assert.Contains($"mesh: app '{app.AppId}' crashed (exit code ", mesh.DemoLog, StringComparison.Ordinal));
    }

    private async Task WaitForLogAsync(string fragment)
    {
        var deadline = Stopwatch.StartNew();
        while (!mesh.DemoLog.Contains(fragment, StringComparison.Ordinal))
        {
            Assert.True(deadline.Elapsed < Restart, $"the demo's mesh never logged \"{fragment}\":\n{mesh.DemoLog}");
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    // SIGKILLs the one process under mesh (pid `root`) that runs `assembly` (its apphost, or `dotnet <assembly>.dll`):
    // the app itself, not the `dotnet run` that started it, as a crash of the app would.
    private static void KillDescendant(int root, string assembly)
    {
        var parents = Directory.EnumerateDirectories("/proc")
            .Select(dir => int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
            .Where(pid => pid > 0)
            .Select(pid => (Pid: pid, Parent: ParentOf(pid)))
            .Where(p => p.Parent > 0)
            .ToDictionary(p => p.Pid, p => p.Parent);
        var descendants = parents.Keys.Where(pid => DescendsFrom(pid, root, parents)).ToList();
        var targets = descendants.Where(pid => Runs(CommandLine(pid), assembly)).ToList();
        Assert.True(targets.Count == 1, $"expected one process running {assembly} under mesh, found {targets.Count} among:\n{string.Join('\n', descendants.Select(pid => string.Join(' ', CommandLine(pid))))}");
        Process.GetProcessById(targets[0]).Kill();
    }

    private static bool DescendsFrom(int pid, int root, Dictionary<int, int> parents)
    {
        for (var at = pid; parents.TryGetValue(at, out var parent); at = parent)
        {
            if (parent == root)
            {
                return true;
            }
        }

        return false;
    }

    // The fourth field of /proc/<pid>/stat, after the command name in parentheses (which may itself hold spaces).
    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static bool Runs(string[] commandLine, string assembly) =>
        commandLine.Length > 0 && (Path.GetFileName(commandLine[0]) == assembly || commandLine.Skip(1).Any(argument => Path.GetFileName(argument) == $"{assembly}.dll"));

    private static string[] CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (IOException)
        {
            return [];
        }
    }
}
