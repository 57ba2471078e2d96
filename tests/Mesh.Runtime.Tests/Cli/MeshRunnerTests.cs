using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Mesh.Runtime.Hosting;
using Mesh.Runtime.Telemetry;
using Mesh.Runtime.Tests.Configuration;
using Mesh.Testing;

namespace Mesh.Runtime.Tests.Cli;

/// <summary>Whole <c>mesh run</c> runs with real sidecars and /bin/sh apps, on in-memory components.</summary>
public sealed partial class MeshRunnerTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TempFolder folder = new();
    private readonly CapturedOutput output = new();
    private readonly CapturedOutput error = new();

    public MeshRunnerTests()
    {
        folder.Folder("orders");
        folder.Folder("billing");
        folder.Write("components/store.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: store
            spec:
              type: state.in-memory
              metadata:
                - name: keyPrefix
                  value: none
            """);
    }

    public void Dispose() => folder.Dispose();

    // Restarts come quickly here; how many crashes end the run is each test's to say.
    private static RestartPolicy QuickRestarts(int giveUpAfter) => new(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), giveUpAfter, TimeSpan.FromMinutes(1));

    [Fact]
    public async Task RunAsync_AppKeepsCrashing_AppSawItsSidecarWasRestartedOnceAndMeshEndsWithItsCode()
    {
        var runFile = folder.Write("dapr.yaml", """
            version: 1
            common:
              resourcesPaths: [./components]
            apps:
              - appDirPath: ./orders
                command: ["/bin/sh", "-c", "echo port $DAPR_HTTP_PORT $APP_ID; exit 4"]
            """);

        var code = await Runner().RunAsync(new RunOptions(runFile, [], Patience, QuickRestarts(giveUpAfter: 2)), CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(4, code);
        var httpPort = SidecarPorts().Single().Http;
        Assert.Equal(2, output.Lines.Count(line => line == $"== APP - orders == port {httpPort} orders"));
        Assert.Contains("mesh: restarted app 'orders'", output.Lines);
        Assert.Equal(
            ["mesh: app 'orders' crashed (exit code 4); restarting it in 0.05s", "mesh: app 'orders' crashed 2 times in a row (last exit code 4); stopping the others"],
            error.Lines);
    }

    [Fact]
    public async Task RunAsync_ChosenMetricsPortTaken_FailsWithOneLineNamingIt()
    {
        var runFile = folder.Write("dapr.yaml", """
            version: 1
            common:
              resourcesPaths: [./components]
            apps:
              - appDirPath: ./orders
                command: ["/bin/sh", "-c", "exit 0"]
            """);
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;

        var code = await Runner().RunAsync(new RunOptions(runFile, [], Patience, Metrics: new MetricsEndpoint(port, IsDefault: false)), CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(1, code);
        var line = Assert.Single(error.Lines);
        Assert.StartsWith($"mesh: the metrics port 127.0.0.1:{port} is in use", line, StringComparison.Ordinal);
        Assert.DoesNotContain(output.Lines, l => l.StartsWith("mesh: started app", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_WithMetrics_AppGetsTheRuntimeMetricsPortAsDaprMetricsPort()
    {
        var runFile = folder.Write("dapr.yaml", """
            version: 1
            common:
              resourcesPaths: [./components]
            apps:
              - appDirPath: ./orders
                command: ["/bin/sh", "-c", "echo metrics $DAPR_METRICS_PORT; exit 3"]
            """);

        var code = await Runner().RunAsync(new RunOptions(runFile, [], Patience, QuickRestarts(giveUpAfter: 1), new MetricsEndpoint(0, IsDefault: false)), CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(3, code);
        var served = Assert.Single(output.Lines, l => l.StartsWith("mesh: runtime metrics on http://127.0.0.1:", StringComparison.Ordinal));
        var port = served.Split(':')[3].Split('/')[0];
        Assert.Contains($"== APP - orders == metrics {port}", output.Lines);
    }

    [Fact]
    public async Task RunAsync_TwoAppsSeeOneComponentFile_ShareOneInstanceUntilStopped()
    {
        var runFile = folder.Write("dapr.yaml", """
            version: 1
            common:
              resourcesPaths: [./components]
              env:
                DAPR_API_TOKEN: test-token
            apps:
              - appDirPath: ./orders
              - appDirPath: ./billing
            """);
        using var stopping = new CancellationTokenSource();
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Add("dapr-api-token", "test-token");

        var run = Runner().RunAsync(new RunOptions(runFile, [], Patience), stopping.Token);
        await output.WaitForAsync("mesh: you're up and running", Patience);
        var ports = SidecarPorts();
        var saved = await http.PostAsJsonAsync($"http://127.0.0.1:{ports[0].Http}/v1.0/state/store", new[] { new { key = "k", value = "shared" } });
        var read = await http.GetStringAsync($"http://127.0.0.1:{ports[1].Http}/v1.0/state/store/k");
        await stopping.CancelAsync();
        var code = await run.WaitAsync(Patience);

        Assert.True(saved.IsSuccessStatusCode, await saved.Content.ReadAsStringAsync());
        Assert.Equal("\"shared\"", read);
        Assert.Equal(0, code);
        Assert.Equal("", error.ToString());
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync($"http://127.0.0.1:{ports[0].Http}/v1.0/state/store/k"));
    }

    [Fact]
    public async Task RunAsync_AppNeverAnswers_StopsItAndEndsWith1()
    {
        var port = Mesh.Runtime.LoopbackPorts.Free();
        var runFile = OrdersOnPort(port, "trap 'echo got TERM; exit 0' TERM; while :; do sleep 0.1; done");

        var code = await Runner().RunAsync(new RunOptions(runFile, [], TimeSpan.FromSeconds(2)), CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(1, code);
        Assert.Equal([$"mesh: app 'orders' did not answer on 127.0.0.1:{port} within 2s; stopping"], error.Lines);
        Assert.Contains("== APP - orders == got TERM", output.Lines);
    }

    [Fact]
    public async Task RunAsync_AppPortTaken_Exit1NamingTheAppAndThePortBeforeStartingAnything()
    {
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((System.Net.IPEndPoint)squatter.LocalEndpoint).Port;
        var runFile = OrdersOnPort(port, "echo orders ran");

        var code = await Runner().RunAsync(new RunOptions(runFile, [], Patience), CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(1, code);
        // The holder is named: this test's own process.
        var line = Assert.Single(error.Lines);
        Assert.Matches(
            $@"^mesh: app 'orders' cannot start: 127\.0\.0\.1:{port}, its appPort, is taken by another process \(pid {Environment.ProcessId}, [^)]+\); stop that process or give the app another appPort in {Regex.Escape(runFile)}$",
            line);
        Assert.Empty(SidecarPorts());
        Assert.DoesNotContain("== APP - orders == orders ran", output.Lines);
    }

    [Fact]
    public async Task RunAsync_AppIdFilter_RunsOnlyThatApp()
    {
        var runFile = folder.Write("dapr.yaml", """
            version: 1
            common:
              resourcesPaths: [./components]
            apps:
              - appDirPath: ./orders
                command: ["/bin/sh", "-c", "echo orders ran; exit 5"]
              - appDirPath: ./billing
                command: ["/bin/sh", "-c", "echo billing ran; exit 6"]
            """);

        var code = await Runner().RunAsync(new RunOptions(runFile, ["billing"], Patience, QuickRestarts(giveUpAfter: 1)), CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(6, code);
        Assert.Contains("== APP - billing == billing ran", output.Lines);
        Assert.DoesNotContain(output.Lines, line => line.Contains("orders", StringComparison.Ordinal));
    }

    private MeshRunner Runner() => new(output.Writer, error.Writer);

    private List<(int Http, int Grpc)> SidecarPorts() =>
        SidecarLine().Matches(output.ToString()).Select(m => (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture))).ToList();

    [GeneratedRegex(@"Dapr HTTP API on 127\.0\.0\.1:(\d+), gRPC API on 127\.0\.0\.1:(\d+)")]
    private static partial Regex SidecarLine();

    // A run file with one app, "orders", on appPort port, running a shell script.
    private string OrdersOnPort(int port, string script) => folder.Write("dapr.yaml", $$"""
        version: 1
        common:
          resourcesPaths: [./components]
        apps:
          - appDirPath: ./orders
            appPort: {{port}}
            command: ["/bin/sh", "-c", "{{script}}"]
        """);
}
