using System.Diagnostics;
using System.Runtime.Versioning;
using Mesh.Runtime.Hosting;
using Mesh.Runtime.Tests.Configuration;

namespace Mesh.Runtime.Tests.Cli;

/// <summary>Real child processes (/bin/sh) started, watched and stopped as <c>mesh run</c> does.</summary>
public sealed class AppProcessTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    // An app that says when its SIGTERM handler is in place, then runs until stopped.
    private const string StoppableApp = "trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.1; done";

    private readonly TempFolder folder = new();
    private readonly CapturedOutput outputText = new();
    private readonly CapturedOutput errorText = new();

    private TextWriter Output => outputText.Writer;

    private TextWriter Errors => errorText.Writer;

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task Start_ShellApp_GetsDaprEnvironmentAndOutputIsPrefixedPerLine()
    {
        var app = TestApps.Spec("orders", appPort: 5001, env: new() { ["GREETING"] = "hello" });
        var environment = AppEnvironment.For(app, daprHttpPort: 3500, daprGrpcPort: 50001, metricsPort: 9090);

        await using var process = AppProcess.Start(
            "orders",
            ["/bin/sh", "-c", "echo $APP_ID $DAPR_GRPC_PORT $DAPR_HTTP_ENDPOINT $APP_PORT $GREETING; echo oops >&2; exit 3"],
            folder.Path,
            environment,
            Output);
        var code = await process.Exited.WaitAsync(Patience);

        Assert.Equal(3, code);
        var lines = outputText.Lines;
        Assert.Contains("== APP - orders == orders 50001 http://127.0.0.1:3500 5001 hello", lines);
        Assert.Contains("== APP - orders == oops", lines);
        Assert.Equal(2, lines.Length);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Start_RelativeProgram_RunsFromTheAppFolder()
    {
        var appFolder = folder.Folder("orders");
        var script = folder.Write("orders/bin/run.sh", "#!/bin/sh\npwd\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        await using var process = AppProcess.Start("orders", ["./bin/run.sh"], appFolder, new Dictionary<string, string>(), Output);

        Assert.Equal(0, await process.Exited.WaitAsync(Patience));
        Assert.Equal($"== APP - orders == {appFolder}{Environment.NewLine}", outputText.ToString());
    }

    [Fact]
    public void Start_ProgramMissing_SaysWhichAppAndProgram()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            AppProcess.Start("orders", ["no-such-program-for-mesh"], folder.Path, new Dictionary<string, string>(), Output));

        Assert.StartsWith($"app 'orders': cannot start 'no-such-program-for-mesh' in {folder.Path}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopAsync_AppHandlesSigterm_ExitsOnItsOwn()
    {
        await using var process = AppProcess.Start("orders", ["/bin/sh", "-c", StoppableApp], folder.Path, new Dictionary<string, string>(), Output);
        await WaitForOutputAsync("== APP - orders == ready");

        await process.StopAsync(Patience).WaitAsync(Patience);

        Assert.Equal(0, await process.Exited);
        Assert.Contains("== APP - orders == got TERM", outputText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopAsync_AppIgnoresSigterm_IsKilledAfterTheGracePeriod()
    {
        await using var process = AppProcess.Start(
            "orders", ["/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"], folder.Path, new Dictionary<string, string>(), Output);
        await WaitForOutputAsync("== APP - orders == ready");
        var clock = Stopwatch.StartNew();

        await process.StopAsync(TimeSpan.FromMilliseconds(300)).WaitAsync(Patience);

        // Timers run on a coarse clock, so the grace period may end a few ms early by the Stopwatch.
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
        Assert.Equal(128 + 9, await process.Exited);
    }

    [Fact]
    public async Task WaitAsync_AppCrashesEveryTime_IsRestartedWithDoublingBackoffThenStopsTheOthersAndReturnsItsCode()
    {
        await using var supervisor = new AppSupervisor(Output, Errors, Patience, QuickRestarts(giveUpAfter: 3));
        var orders = supervisor.Launch("orders", ["/bin/sh", "-c", StoppableApp], folder.Path, new Dictionary<string, string>());
        await WaitForOutputAsync("== APP - orders == ready");
        supervisor.Launch("billing", ["/bin/sh", "-c", "echo bye; exit 3"], folder.Path, new Dictionary<string, string>());

        var code = await supervisor.WaitAsync(CancellationToken.None).WaitAsync(Patience);
        await supervisor.StopAllAsync().WaitAsync(Patience);

        Assert.Equal(3, code);
        Assert.Equal(
            [
                "mesh: app 'billing' crashed (exit code 3); restarting it in 0.05s",
                "mesh: app 'billing' crashed (exit code 3); restarting it in 0.1s",
                "mesh: app 'billing' crashed 3 times in a row (last exit code 3); stopping the others",
            ],
            errorText.Lines);
        Assert.Equal(0, await orders.Exited);
        Assert.Contains("== APP - orders == got TERM", outputText.ToString(), StringComparison.Ordinal);
        Assert.Equal(3, outputText.Lines.Count(line => line == "== APP - billing == bye"));
    }

    [Fact]
    public async Task WaitAsync_AppKilledBySignal_IsRestartedWithItsEnvironmentAndTheRunGoesOn()
    {
        await using var supervisor = new AppSupervisor(Output, Errors, Patience, QuickRestarts(giveUpAfter: 3));
        using var stopping = new CancellationTokenSource();
        // The first run kills itself with SIGKILL; the second runs until stopped.
        supervisor.Launch(
            "orders",
            ["/bin/sh", "-c", $"if [ -e killed ]; then echo again $GREETING; {StoppableApp}; else touch killed; kill -9 $$; fi"],
            folder.Path,
            new Dictionary<string, string> { ["GREETING"] = "hello" });

        var waiting = supervisor.WaitAsync(stopping.Token);
        await WaitForOutputAsync("== APP - orders == ready");
        var runningAfterRestart = !waiting.IsCompleted;
        await stopping.CancelAsync();
        var code = await waiting.WaitAsync(Patience);
        await supervisor.StopAllAsync().WaitAsync(Patience);

        Assert.True(runningAfterRestart);
        Assert.Equal(0, code);
        Assert.Equal(["mesh: app 'orders' crashed (exit code 137, signal 9); restarting it in 0.05s"], errorText.Lines);
        Assert.Contains("mesh: restarted app 'orders'", outputText.Lines);
        Assert.Contains("== APP - orders == again hello", outputText.Lines);
        Assert.Contains("== APP - orders == got TERM", outputText.Lines);
    }

    [Theory]
    [InlineData(1, 1000)]
    [InlineData(2, 2000)]
    [InlineData(5, 16000)]
    [InlineData(6, 30000)]
    [InlineData(64, 30000)]
    public void DelayAfter_NthCrashInARow_DoublesFromTheFirstDelayUpToTheMaximum(int crashes, int expectedMilliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), RestartPolicy.Default.DelayAfter(crashes));

    [Fact]
    public async Task WaitAsync_AppExitsWithZero_IsStillAFailure()
    {
        await using var supervisor = new AppSupervisor(Output, Errors, Patience);
        supervisor.Launch("orders", ["/bin/sh", "-c", "exit 0"], folder.Path, new Dictionary<string, string>());

        var code = await supervisor.WaitAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(1, code);
        Assert.Contains("mesh: app 'orders' exited with code 0; stopping the others", errorText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitAsync_Stopped_ReturnsZeroAndLeavesStoppingToStopAll()
    {
        await using var supervisor = new AppSupervisor(Output, Errors, Patience);
        var orders = supervisor.Launch("orders", ["/bin/sh", "-c", StoppableApp], folder.Path, new Dictionary<string, string>());
        await WaitForOutputAsync("== APP - orders == ready");
        using var stopping = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var code = await supervisor.WaitAsync(stopping.Token).WaitAsync(Patience);
        var runningAfterWait = !orders.Exited.IsCompleted;
        await supervisor.StopAllAsync().WaitAsync(Patience);

        Assert.Equal(0, code);
        Assert.True(runningAfterWait);
        Assert.Equal(0, await orders.Exited);
        Assert.Equal("", errorText.ToString());
    }

    [Fact]
    public async Task WaitAsync_AppExitsJustBeforeTheStopRequest_CountsAsStopped()
    {
        await using var supervisor = new AppSupervisor(Output, Errors, Patience);
        using var stopping = new CancellationTokenSource();
        var orders = supervisor.Launch("orders", ["/bin/sh", "-c", "exit 130"], folder.Path, new Dictionary<string, string>());
        _ = orders.Exited.ContinueWith(_ => stopping.CancelAfter(100), TaskScheduler.Default);

        var code = await supervisor.WaitAsync(stopping.Token).WaitAsync(Patience);

        Assert.Equal(0, code);
        Assert.Equal("", errorText.ToString());
    }

    [Fact]
    public void For_AppEnvWinsAndNoAppPortMeansNoAppPortVariable()
    {
        var app = TestApps.Spec("billing", appPort: 0, protocol: "grpc", env: new() { ["DAPR_HTTP_PORT"] = "1234", ["EXTRA"] = "x" });

        var environment = AppEnvironment.For(app, daprHttpPort: 3501, daprGrpcPort: 50002, metricsPort: 9091);

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["APP_ID"] = "billing",
                ["APP_CHANNEL_ADDRESS"] = "127.0.0.1",
                ["APP_PROTOCOL"] = "grpc",
                ["DAPR_HTTP_PORT"] = "1234",
                ["DAPR_GRPC_PORT"] = "50002",
                ["DAPR_METRICS_PORT"] = "9091",
                ["DAPR_HTTP_ENDPOINT"] = "http://127.0.0.1:3501",
                ["DAPR_GRPC_ENDPOINT"] = "http://127.0.0.1:50002",
                ["EXTRA"] = "x",
            },
            environment);
    }

    private static RestartPolicy QuickRestarts(int giveUpAfter) => new(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), giveUpAfter, TimeSpan.FromMinutes(1));

    private Task WaitForOutputAsync(string line) => outputText.WaitForAsync(line, Patience);
}
