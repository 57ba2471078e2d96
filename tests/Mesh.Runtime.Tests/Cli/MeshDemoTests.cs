using System.Text.RegularExpressions;
using Mesh.Cli;
using Mesh.Runtime.Tests.Configuration;
using Mesh.Testing;
using StackExchange.Redis;

namespace Mesh.Runtime.Tests.Cli;

/// <summary>
/// <c>mesh demo inventory-to-charge</c> on the repository's own dapr.yaml, components and access control, tokens and
/// state encryption on: every app as a real process from its Release build (as `dotnet test Mesh.sln -c Release`
/// leaves them), on a redis-server the test reads afterwards.
/// </summary>
public sealed class MeshDemoTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly CapturedOutput output = new();
    private readonly CapturedOutput error = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task Demo_OnTheRepositoryMesh_SettlesEveryEventAndReconciles_WorkflowsKeepsNoPlaintextMrn()
    {
        var root = RunFileLoaderTests.RepositoryRoot();
        await using var redisServer = await RedisServer.StartAsync();
        var redis = redisServer.ConnectionString;
        // The repository's files with their paths made absolute, their Redis moved to the test's (mesh uses a Redis
        // that answers), and the registry pointed at it too.
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
        var (ofWorkflows, elsewhere) = await KeysHoldingAnMrnAsync(redis);
        // The scan sees plaintext MRNs where they are (charges' records, the events on the streams), and none in the
        // state of workflows (its encrypted patientstore, and the workflow engine's inputs and history).
        Assert.NotEmpty(elsewhere);
        Assert.Empty(ofWorkflows);
    }

    // Every key whose value (string, hash fields, stream entries) holds an MRN as the demo writes them, split by owner.
    private static async Task<(List<string> OfWorkflows, List<string> Elsewhere)> KeysHoldingAnMrnAsync(string redis)
    {
        var mrn = new Regex(@"MRN\d{7}");
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
        var database = connection.GetDatabase();
        var (ofWorkflows, elsewhere) = (new List<string>(), new List<string>());
        foreach (var key in connection.GetServer(redis).Keys(pattern: "*", pageSize: 1000))
        {
            var values = await database.KeyTypeAsync(key) switch
            {
                RedisType.String => [(string?)await database.StringGetAsync(key)],
                RedisType.Hash => (await database.HashGetAllAsync(key)).Select(entry => (string?)entry.Value),
                RedisType.Stream => (await database.StreamRangeAsync(key)).SelectMany(entry => entry.Values.Select(value => (string?)value.Value)),
                _ => [],
            };
            if (values.Any(value => value is not null && mrn.IsMatch(value)))
            {
                (((string)key!).StartsWith("workflows||", StringComparison.Ordinal) ? ofWorkflows : elsewhere).Add(key!);
            }
        }

        return (ofWorkflows, elsewhere);
    }
}
