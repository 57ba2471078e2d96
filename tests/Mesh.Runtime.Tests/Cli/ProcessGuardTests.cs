using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using Mesh.Runtime.Hosting;
using Mesh.Runtime.Tests.Configuration;

namespace Mesh.Runtime.Tests.Cli;

/// <summary>
/// Apps die with their mesh: a real <c>mesh run</c> SIGKILLed (only mesh, as the OOM killer or <c>kill -9</c> would)
/// takes its apps down, down to the process an app's launcher started (as <c>dotnet run</c> starts the app).
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class ProcessGuardTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    // A launcher that starts the real app as its child and waits for it, as `dotnet run` does.
    private const string Launcher = "/bin/sh -c 'echo $$ > app.pid; exec sleep 600' & wait";

    private readonly TempFolder folder = new();
    private readonly CapturedOutput outputText = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task MeshRun_KilledWithSigkill_ItsAppsAndTheirChildrenEnd()
    {
        var orders = folder.Folder("orders");
        folder.Write("dapr.yaml", $"""
            version: 1
            apps:
              - appID: orders
                appDirPath: ./orders
                command: ["/bin/sh", "-c", "{Launcher}"]
            """);
        using var mesh = MeshProcess.Start(folder.Path);
        var app = await ReadPidAsync(Path.Combine(orders, "app.pid"));
        Assert.True(Runs(app), "the app did not start");

        mesh.Kill();
        await mesh.WaitForExitAsync();

        await WaitUntilAsync(() => !Runs(app), $"the app (pid {app}) outlived its killed mesh");
    }

    [Fact]
    public async Task Exited_LauncherKilled_TheAppItStartedEndsToo()
    {
        using var guard = ProcessGuard.Start(TimeSpan.FromSeconds(5));
        Assert.NotNull(guard);
        await using var launcher = AppProcess.Start("orders", ["/bin/sh", "-c", Launcher], folder.Path, new Dictionary<string, string>(), outputText.Writer, guard);
        var app = await ReadPidAsync(Path.Combine(folder.Path, "app.pid"));

        // The launcher dies alone (SIGKILL), leaving its child, the app, behind.
        Process.GetProcessById(ParentOf(app)).Kill();

        Assert.Equal(128 + 9, await launcher.Exited.WaitAsync(Patience));
        await WaitUntilAsync(() => !Runs(app), $"the app (pid {app}) outlived its launcher");
    }

    private static async Task<int> ReadPidAsync(string file)
    {
        var text = "";
        await WaitUntilAsync(() => File.Exists(file) && (text = File.ReadAllText(file).Trim()).Length > 0, $"{file} was never written");
        return int.Parse(text, CultureInfo.InvariantCulture);
    }

    // The fourth field of /proc/<pid>/stat, after the command name in parentheses.
    private static int ParentOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
    }

    // Alive and not a zombie (whose parent, here the container's init, may never reap it).
    private static bool Runs(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Patience, failure);
            await Task.Delay(50);
        }
    }
}
