using System.Diagnostics;
using Dapr.Workflow;
using Dapr.Workflow.Registration;
using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar;
using Mesh.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Runtime.Tests.Workflow;

/// <summary>
/// The workflow app as a separate process (tests/Mesh.WorkflowCrashApp), killed with SIGKILL while it is
/// inside an activity, then started again: the saga completes once, and no finished activity runs twice.
/// </summary>
public sealed class WorkflowCrashTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("mesh-crash-").FullName;
    private RedisServer redis = null!;
    private DaprSidecar sidecar = null!;

    private string LogFile => Path.Combine(folder, "activities.log");

    private string GateFile => Path.Combine(folder, "gate");

    public async Task InitializeAsync()
    {
        redis = await RedisServer.StartAsync(appendOnly: true);
        var directory = new AppDirectory();
        var endpoint = new AppEndpoint("crashapp", "127.0.0.1", 0, "grpc");
        directory.Register(endpoint);
        var actorStore = new ComponentDefinition("statestore", "state.redis", "v1",
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["redisHost"] = redis.ConnectionString, ["actorStateStore"] = "true" }, [], "statestore.yaml");
        sidecar = await DaprSidecar.StartAsync(
            new SidecarSettings(endpoint, 0, 0, new Dictionary<string, IStateStore>(), new Dictionary<string, IPubSub>(), [actorStore], ResiliencySpec.None, directory),
            NullLoggerFactory.Instance, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await sidecar.DisposeAsync();
        await redis.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public async Task AppKilledInsideAnActivity_SagaCompletesOnceAfterRestart()
    {
        using var client = new DaprWorkflowClientBuilder(new ConfigurationBuilder().Build()).UseGrpcEndpoint($"http://127.0.0.1:{sidecar.GrpcPort}").Build();
        var first = StartApp();
        var id = await client.ScheduleNewWorkflowAsync("CrashSaga", input: "case-1");
        await WaitForLineAsync("start:case-1-charge");

        first.Kill(entireProcessTree: true);
        await first.WaitForExitAsync();
        await File.WriteAllTextAsync(GateFile, "open");
        using var second = StartApp();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var state = await client.WaitForWorkflowCompletionAsync(id, cancellation: timeout.Token);
        second.Kill(entireProcessTree: true);

        var journal = await File.ReadAllLinesAsync(LogFile);
        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("case-1-reserve|case-1-charge|case-1-post", state.ReadOutputAs<string>());
        Assert.Equal(1, journal.Count(l => l == "done:case-1-reserve"));
        Assert.Equal(1, journal.Count(l => l == "done:case-1-charge"));
        Assert.Equal(1, journal.Count(l => l == "done:case-1-post"));
        // The activity the kill interrupted ran again; the one that had finished did not.
        Assert.Equal(2, journal.Count(l => l == "start:case-1-charge"));
        Assert.Equal(1, journal.Count(l => l == "start:case-1-reserve"));
        first.Dispose();
    }

    private Process StartApp()
    {
        // The app is built next to this test assembly's configuration (see the ProjectReference).
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var app = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../Mesh.WorkflowCrashApp/bin", configuration, "net10.0/Mesh.WorkflowCrashApp.dll"));
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(app);
        start.Environment["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{sidecar.GrpcPort}";
        start.Environment["LOG_FILE"] = LogFile;
        start.Environment["GATE_FILE"] = GateFile;
        var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task WaitForLineAsync(string line)
    {
        for (var i = 0; i < 600; i++)
        {
            if (File.Exists(LogFile) && (await File.ReadAllLinesAsync(LogFile)).Contains(line))
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"'{line}' never appeared in the activity journal");
    }
}
