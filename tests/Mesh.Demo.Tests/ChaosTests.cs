using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Mesh.Demo.Tests;

/// <summary>
/// The chaos suite on the real mesh, while <c>mesh demo inventory-to-charge</c> runs: each app of the flow killed with
/// SIGKILL in turn (mesh restarts it), and the ERP down, then throttling, then losing replies, with every event sent
/// twice. Every run ends with the reconciliation report: every event accounted for once in every system.
/// </summary>
public sealed class ChaosTests : IDisposable
{
    private static readonly TimeSpan Restart = TimeSpan.FromMinutes(2);

    // Each app of the flow with the assembly its process runs (under `dotnet run`, a child of the command mesh started).
    private static readonly (string AppId, string Assembly)[] FlowApps =
    [
        ("workflows", "Mesh.Workflows"), ("inventory", "Mesh.Inventory"), ("charges", "Mesh.Charges"), ("finance", "Mesh.Finance"), ("masterdata", "Mesh.MasterData"),
    ];

    // CI runs a few hundred events; `MESH_CHAOS_EVENTS=2000 dotnet test tests/Mesh.Demo.Tests -c Release --filter ChaosTests`
    // runs the same scenarios at scale.
    private static readonly int Events = int.TryParse(Environment.GetEnvironmentVariable("MESH_CHAOS_EVENTS"), CultureInfo.InvariantCulture, out var events) ? events : 200;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(8 + (Events / 100));

    private readonly RepositoryMesh mesh = new();

    public void Dispose() => mesh.Dispose();

    [Fact]
    public async Task Demo_EachFlowAppKilledMidRun_IsRestartedAndEveryEventIsAccountedForOnce()
    {
        using var demo = MeshCommand.Start(
            mesh.Folder, ["demo", "inventory-to-charge", "-f", mesh.RunFile, "--events", $"{Events}", "--locations", "2", "--unknown-items", "0.05", "--timeout", "900"]);
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
        Assert.Matches($@"cases settled\s+{Events}\s", report);
        Assert.Matches(@"duplicates\s+0\s", report);
        Assert.All(FlowApps, app => Assert.Contains($"mesh: app '{app.AppId}' crashed (exit code ", mesh.DemoLog, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Demo_ErpDownThenThrottlingThenLosingReplies_WithEveryEventSentTwice_EveryPostingLandsOnce()
    {
        using var demo = MeshCommand.Start(
            mesh.Folder, ["demo", "inventory-to-charge", "-f", mesh.RunFile, "--events", $"{Events}", "--locations", "2", "--duplicates", "1", "--unknown-items", "0", "--timeout", "900"]);
        await demo.WaitForOutputAsync(": seeded ", Patience);
        using var erp = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{mesh.AppPorts["erp"]}") };
        erp.DefaultRequestHeaders.Add("dapr-api-token", mesh.AppTokens["erp"]);

        // Each phase lasts until the ERP has turned away enough of the mesh's attempts, however fast they come.
        foreach (var (mode, requests) in new[] { ("Down", 20), ("Throttle", 20), ("LoseReply", 10) })
        {
            await SetErpAsync(erp, mode);
            await WaitForErpHitsAsync(erp, mode, requests);
        }

        await SetErpAsync(erp, "Normal");
        var (code, report, error) = await demo.ExitAsync(Patience);

        Assert.True(code == 0, $"exit {code}\n{report}\n{error}\n{mesh.DemoLog}");
        Assert.Contains("RECONCILED: every event is accounted for once in every system.", report, StringComparison.Ordinal);
        Assert.Matches($@"cases settled\s+{Events}\s", report);
        Assert.Matches($@"events in\s+{Events}\s+\(\+{Events} sent twice\)", report);
        Assert.Matches(@"duplicates\s+0\s", report);
    }

    private static async Task SetErpAsync(HttpClient erp, string mode) =>
        (await erp.PutAsJsonAsync("/erp/admin/chaos", new { mode, delayMs = 0 })).EnsureSuccessStatusCode();

    private static async Task WaitForErpHitsAsync(HttpClient erp, string mode, int requests)
    {
        var deadline = Stopwatch.StartNew();
        while ((await erp.GetFromJsonAsync<JsonObject>("/erp/admin/chaos/hits"))![mode]!.GetValue<long>() < requests)
        {
            Assert.True(deadline.Elapsed < Restart, $"the ERP met fewer than {requests} requests in {mode} mode within {Restart}");
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
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
