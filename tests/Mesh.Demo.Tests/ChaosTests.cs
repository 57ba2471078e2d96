using System.Diagnostics;
using System.Globalization;
using Mesh.Runtime;
using Mesh.Scenarios;
using Mesh.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Mesh.Demo.Tests;

/// <summary>
/// The chaos suite on the real mesh, while <c>mesh demo inventory-to-charge</c> runs: each app of the flow killed with
/// SIGKILL in turn (mesh restarts it); the mesh process itself SIGKILLed and started again on the same Redis, with the
/// scenario driven from a process of its own (<c>--attach</c>), then that redis-server stopped and started again; and the ERP
/// down, then throttling, then losing replies, with every event sent twice and each location's events latest first.
/// Every run ends with the reconciliation
/// report: every event accounted for once in every system.
/// </summary>
public sealed class ChaosTests(ITestOutputHelper output) : IDisposable
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
            await Poll.UntilAsync(
                () => mesh.DemoLog.Contains($"mesh: restarted app '{appId}'", StringComparison.Ordinal), Restart, () => $"the demo's mesh never restarted '{appId}':\n{mesh.DemoLog}");
        }

        var (code, report, error) = await ReportAsync(demo);

        Assert.True(code == 0, $"exit {code}\n{report}\n{error}\n{mesh.DemoLog}");
        Assert.Contains("RECONCILED: every event is accounted for once in every system.", report, StringComparison.Ordinal);
        Assert.Matches($@"cases settled\s+{Events}\s", report);
        Assert.Matches(@"duplicates\s+0\s", report);
        Assert.All(FlowApps, app => Assert.Contains($"mesh: app '{app.AppId}' crashed (exit code ", mesh.DemoLog, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Demo_ErpDownThenThrottlingThenLosingReplies_WithEveryEventSentTwiceAndOutOfOrder_EveryPostingLandsOnce()
    {
        using var demo = MeshCommand.Start(
            mesh.Folder, ["demo", "inventory-to-charge", "-f", mesh.RunFile, "--events", $"{Events}", "--locations", "2", "--duplicates", "1", "--unknown-items", "0", "--out-of-order", "--timeout", "900"]);
        await demo.WaitForOutputAsync(": seeded ", Patience);
        using var erp = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{mesh.AppPorts["erp"]}") };
        erp.DefaultRequestHeaders.Add("dapr-api-token", mesh.AppTokens["erp"]);

        // Each phase lasts until the ERP has turned away enough of the mesh's attempts, however fast they come.
        foreach (var (mode, requests) in new[] { ("Down", 20), ("Throttle", 20), ("LoseReply", 10) })
        {
            await ErpChaos.TurnAwayAsync(erp, mode, requests, Restart, CancellationToken.None);
        }

        await ErpChaos.SetAsync(erp, "Normal", CancellationToken.None);
        var (code, report, error) = await ReportAsync(demo);

        Assert.True(code == 0, $"exit {code}\n{report}\n{error}\n{mesh.DemoLog}");
        Assert.Contains("RECONCILED: every event is accounted for once in every system.", report, StringComparison.Ordinal);
        Assert.Matches($@"cases settled\s+{Events}\s", report);
        Assert.Matches($@"events in\s+{Events}\s+\(\+{Events} sent twice\)", report);
        Assert.Contains("duplicates, each location's latest first in ", report, StringComparison.Ordinal);
        Assert.Matches(@"duplicates\s+0\s", report);
    }

    // One run for both (each mesh start costs most of a minute): the mesh killed and started again, then its Redis.
    [Fact]
    public async Task MeshRun_KilledWithSigkillThenRedisRestartedMidRun_TheAttachedDemoReconcilesWithoutDuplicates()
    {
        await using var redis = await RedisServer.StartAsync(appendOnly: true);
        using var run = new RepositoryMesh(redis.ConnectionString, driver: true);
        using var first = MeshCommand.Start(run.Folder, ["run", "-f", run.RunFile]);
        await first.WaitForOutputAsync("mesh: you're up and running", Patience);
        // The scenario in a process of its own, through the driver's sidecar: it outlives the mesh it drives.
        using var demo = MeshCommand.Start(
            run.Folder,
            ["demo", "inventory-to-charge", "--attach", "--events", $"{Events}", "--locations", "2", "--unknown-items", "0.05", "--timeout", "900"],
            run.DriverEnvironment);
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            await WaitForConsumptionsOnTheStreamAsync(connection, demo);
        }

        await first.KillAsync();
        // Its apps go with it (their ports free again), so the next run can start them.
        await Poll.UntilAsync(
            () => run.Ports.Values.All(LoopbackPorts.IsFree), Restart, () => $"apps of the killed mesh still hold ports: {string.Join(", ", run.Ports.Where(p => !LoopbackPorts.IsFree(p.Value)).Select(p => p.Key))}");
        using var second = MeshCommand.Start(run.Folder, ["run", "-f", run.RunFile]);
        await second.WaitForOutputAsync("mesh: you're up and running", Patience);

        // Redis (AOF on) stopped as an operator would and started again on its port and folder once the mesh felt it
        // (its subscriptions' blocking reads failed), while the cases the kill interrupted are still being settled.
        await redis.StopAsync();
        await second.WaitForOutputAsync("pubsub.redis: reading stream ", Restart);
        await redis.StartAgainAsync();
        var (code, report, error) = await ReportAsync(demo);

        Assert.True(code == 0, $"exit {code}\n{report}\n{error}\n{second.Output}");
        Assert.Contains("RECONCILED: every event is accounted for once in every system.", report, StringComparison.Ordinal);
        Assert.Matches($@"cases settled\s+{Events}\s", report);
        Assert.Matches(@"duplicates\s+0\s", report);
    }

    // Waits for the demo to end and keeps its report in the test's output (`--logger "console;verbosity=detailed"`).
    private async Task<(int Code, string Report, string Error)> ReportAsync(RunningCommand demo)
    {
        var (code, report, error) = await demo.ExitAsync(Patience);
        output.WriteLine(report);
        return (code, report, error);
    }

    // Mid-run: once half the consumption events are on the topic's stream, while the rest are sent and the sagas work.
    private static Task WaitForConsumptionsOnTheStreamAsync(ConnectionMultiplexer redis, RunningCommand demo) =>
        Poll.UntilAsync(
            async () => await redis.GetDatabase().StreamLengthAsync("inventory.item.consumed") >= Events / 2,
            Patience,
            () => $"fewer than {Events / 2} consumption events reached the stream:\n{demo.Output}",
            () => demo.HasExited);

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
