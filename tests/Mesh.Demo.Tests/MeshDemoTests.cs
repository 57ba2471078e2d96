using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Mesh.Runtime;
using Mesh.Testing;

namespace Mesh.Demo.Tests;

/// <summary>
/// <c>mesh demo inventory-to-charge</c> as a user runs it: the built mesh, which finds the mesh-demo plug-in beside
/// itself, on the repository's dapr.yaml, components and access control (ports moved, see <see cref="RepositoryMesh"/>),
/// tokens and state encryption on, every app as a real process from its Release build (as `dotnet test Mesh.sln -c
/// Release` leaves them), mesh's own redis-server (the test's, when it reads Redis afterwards).
/// </summary>
public sealed class MeshDemoTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    private readonly RepositoryMesh mesh = new();

    public void Dispose() => mesh.Dispose();

    [Fact]
    public async Task Demo_OnTheRepositoryMesh_SettlesEveryEventAndReconciles_WorkflowsKeepsNoPlaintextMrn()
    {
        await using var redis = await RedisServer.StartAsync();
        using var onTestRedis = new RepositoryMesh(redis.ConnectionString);

        var (code, report, error) = await MeshCommand.RunAsync(
            onTestRedis.Folder,
            ["demo", "inventory-to-charge", "-f", onTestRedis.RunFile, "--events", "30", "--locations", "2", "--unknown-items", "0.1", "--timeout", "120"],
            Patience);

        Assert.True(code == 0, $"exit {code}\n{report}\n{error}\n{onTestRedis.DemoLog}");
        Assert.Contains("RECONCILED: every event is accounted for once in every system.", report, StringComparison.Ordinal);
        Assert.Matches(@"cases settled\s+30\s", report);
        Assert.Matches(@"duplicates\s+0\s", report);
        var holdingAnMrn = await RedisScan.KeysHoldingAsync(redis.ConnectionString, new Regex(@"MRN\d{7}"));
        var ofWorkflows = holdingAnMrn.Where(key => key.StartsWith("workflows||", StringComparison.Ordinal)).ToList();
        var elsewhere = holdingAnMrn.Except(ofWorkflows).ToList();
        // The scan sees plaintext MRNs where they are (charges' records, the events on the streams), and none in the
        // state of workflows (its encrypted patientstore, and the workflow engine's inputs and history).
        Assert.NotEmpty(elsewhere);
        Assert.Empty(ofWorkflows);
    }

    [Fact]
    public async Task ProcureToPayDemo_OnTheRepositoryMesh_SettlesEveryRequisitionAndReconciles()
    {
        var (code, report, error) = await MeshCommand.RunAsync(
            mesh.Folder,
            ["demo", "procure-to-pay", "-f", mesh.RunFile, "--requisitions", "10", "--rejected", "0.2", "--partial-receipts", "0.5", "--price-mismatches", "0.3", "--duplicates", "0.3", "--timeout", "180"],
            Patience);

        Assert.True(code == 0, $"exit {code}\n{report}\n{error}\n{mesh.DemoLog}");
        Assert.Contains("RECONCILED: every order, receipt and posting is accounted for once in every system.", report, StringComparison.Ordinal);
        Assert.Matches(@"cases settled\s+10\s", report);
        Assert.Matches(@"rejected\s+[1-9]", report);
        Assert.Matches(@"on hold: \w+\s+[1-9]", report);
        Assert.Matches(@"duplicates\s+0\s+\(must be 0; [1-9]\d* events delivered twice\)", report);
        Assert.Matches(@"contracted lines at contract price\s+([1-9]\d*)/\1\s", report);
    }

    [Fact]
    public async Task ProcureToPayDemo_ShareOutOfRange_Exit2WithTheRule()
    {
        var result = await MeshCommand.RunAsync(mesh.Folder, ["demo", "procure-to-pay", "--price-mismatches", "1.5"], Patience);

        Assert.Equal(2, result.Code);
        Assert.Equal(["mesh demo: --requisitions must be 1 to 10000, --locations 1 to 100, --rejected, --partial-receipts, --price-mismatches and --duplicates 0 to 1"], result.ErrorLines);
    }

    [Fact]
    public async Task Demo_PortOfTheRunFileTaken_OneLineNamingTheAppAndThePort()
    {
        var port = mesh.AppPorts["charges"];
        using var squatter = new TcpListener(IPAddress.Loopback, port);
        squatter.Start();

        var result = await MeshCommand.RunAsync(mesh.Folder, ["demo", "inventory-to-charge", "-f", mesh.RunFile, "--events", "10"], Patience);

        Assert.Equal(1, result.Code);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("mesh demo: app 'charges' cannot start: ", line, StringComparison.Ordinal);
        Assert.Contains($"127.0.0.1:{port}", line, StringComparison.Ordinal);
        Assert.Contains(".mesh/demo.log", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_AttachWithoutASidecar_OneLineSayingNoneAnswersAndHowToRunOne()
    {
        var nowhere = $"http://127.0.0.1:{LoopbackPorts.Free()}";

        var result = await MeshCommand.RunAsync(
            mesh.Folder,
            ["demo", "inventory-to-charge", "--attach"],
            Patience,
            new Dictionary<string, string?> { ["DAPR_GRPC_ENDPOINT"] = nowhere, ["DAPR_HTTP_ENDPOINT"] = $"http://127.0.0.1:{LoopbackPorts.Free()}" });

        Assert.Equal(1, result.Code);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"mesh demo: no Dapr sidecar answers at {nowhere};", line, StringComparison.Ordinal);
        Assert.Contains("dapr run --app-id clinic-demo -- mesh demo inventory-to-charge --attach", line, StringComparison.Ordinal);
        Assert.Contains("mesh run", line, StringComparison.Ordinal);
        Assert.Equal("", result.Output);
    }

    [Fact]
    public async Task Demo_BadOption_Exit2WithTheRule()
    {
        var result = await MeshCommand.RunAsync(mesh.Folder, ["demo", "inventory-to-charge", "--events", "0"], Patience);

        Assert.Equal(2, result.Code);
        Assert.Equal(["mesh demo: --events must be 1 to 100000, --locations 1 to 100, --duplicates and --unknown-items 0 to 1"], result.ErrorLines);
    }
}
