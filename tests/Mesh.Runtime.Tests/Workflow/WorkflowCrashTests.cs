using System.Diagnostics;
using Dapr.Workflow;
using Dapr.Workflow.Registration;
using Mesh.Runtime.Components;
using Mesh.Runtime.Hosting;
using Mesh.Runtime.Sidecar;
using Mesh.Testing;
using Microsoft.Extensions.Configuration;

namespace Mesh.Runtime.Tests.Workflow;

/// <summary>
/// The workflow app as a separate process (tests/Mesh.WorkflowCrashApp), killed with SIGKILL while it is
/// inside an activity, then started again: the saga completes once, and no finished activity runs twice.
/// </summary>
public sealed class WorkflowCrashTests : IAsyncLifetime
{
    private readonly string folder = Directory.CreateTempSubdirectory("mesh-crash-").FullName;
    private RedisServer redis = null!;
    private MeshHost mesh = null!;

    private DaprSidecar sidecar => mesh.SidecarOf("crashapp");

    private string LogFile => Path.Combine(folder, "activities.log");

    private string GateFile => Path.Combine(folder, "gate");

    public async Task InitializeAsync()
    {
        redis = await RedisServer.StartAsync(appendOnly: true);
        var actorStore = new ComponentDefinition("statestore", "state.redis", "v1",
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["redisHost"] = redis.ConnectionString, ["actorStateStore"] = "true" }, [], "statestore.yaml");
        mesh = await MeshHost.StartAsync([MeshApp.Create("crashapp", 0, "grpc", [actorStore])]);
    }

    // The DAPR_API_TOKEN of the mesh run test's sidecar, given in its run file as the Dapr CLI would pass it.
    private const string MeshRunApiToken = "crash-test-token";

    public async Task DisposeAsync()
    {
        await mesh.DisposeAsync();
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

    [Fact]
    public async Task RuntimeKilledWithTheApp_SagaResumesFromRedisAfterMeshRunStartsAgain()
    {
        // mesh run as a child process: its sidecar holds the workflow engine; SIGKILL takes it and the app down.
        var grpcPort = Mesh.Runtime.LoopbackPorts.Free();
        var components = Directory.CreateDirectory(Path.Combine(folder, "components")).FullName;
        await File.WriteAllTextAsync(Path.Combine(components, "statestore.yaml"), $"""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: statestore
            spec:
              type: state.redis
              version: v1
              metadata:
                - name: redisHost
                  value: {redis.ConnectionString}
                - name: actorStateStore
                  value: "true"
            """);
        await File.WriteAllTextAsync(Path.Combine(folder, "dapr.yaml"), $"""
            version: 1
            apps:
              - appID: crashapp
                appDirPath: .
                appProtocol: grpc
                daprGRPCPort: {grpcPort}
                resourcesPaths: [./components]
                command: ["dotnet", "{CrashAppPath}"]
                env:
                  LOG_FILE: {LogFile}
                  GATE_FILE: {GateFile}
                  DAPR_API_TOKEN: {MeshRunApiToken}
            """);
        using var client = new DaprWorkflowClientBuilder(new ConfigurationBuilder().Build()).UseGrpcEndpoint($"http://127.0.0.1:{grpcPort}").UseDaprApiToken(MeshRunApiToken).Build();
        var mesh = Cli.MeshProcess.Start(folder);
        var id = await RetryAsync(() => client.ScheduleNewWorkflowAsync("CrashSaga", input: "case-2"));
        await WaitForLineAsync("start:case-2-charge");

        mesh.Kill(entireProcessTree: true);
        await mesh.WaitForExitAsync();
        await File.WriteAllTextAsync(GateFile, "open");
        using var again = Cli.MeshProcess.Start(folder);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var state = await RetryAsync(() => client.WaitForWorkflowCompletionAsync(id, cancellation: timeout.Token));
        again.Kill(entireProcessTree: true);

        var journal = await File.ReadAllLinesAsync(LogFile);
        Assert.Equal(WorkflowRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.Equal("case-2-reserve|case-2-charge|case-2-post", state.ReadOutputAs<string>());
        Assert.Equal(1, journal.Count(l => l == "start:case-2-reserve"));
        Assert.Equal(1, journal.Count(l => l == "done:case-2-charge"));
        Assert.Equal(1, journal.Count(l => l == "done:case-2-post"));
        mesh.Dispose();
    }

    private static string CrashAppPath
    {
        get
        {
            // The app is built with this test assembly's configuration (see the ProjectReference).
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            return Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../Mesh.WorkflowCrashApp/bin", configuration, "net10.0/Mesh.WorkflowCrashApp.dll"));
        }
    }

    // The sidecar of a freshly started mesh takes a moment to listen.
    private static async Task<T> RetryAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (attempt < 100 && e is Grpc.Core.RpcException { StatusCode: Grpc.Core.StatusCode.Unavailable } or HttpRequestException)
            {
                await Task.Delay(200);
            }
        }
    }

    private Process StartApp()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(CrashAppPath);
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
