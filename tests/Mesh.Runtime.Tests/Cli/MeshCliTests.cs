using Mesh.Cli;
using Mesh.Runtime.Tests.Configuration;

namespace Mesh.Runtime.Tests.Cli;

/// <summary><c>mesh run</c> refusing bad input before it starts anything; other verbs going to plug-ins.</summary>
public sealed class MeshCliTests : IDisposable
{
    private readonly TempFolder folder = new();
    private readonly CapturedOutput output = new();
    private readonly CapturedOutput error = new();

    public MeshCliTests() => folder.Folder("orders");

    public void Dispose() => folder.Dispose();

    [Fact]
    public async Task Run_MissingRunFile_Exit1AndTheMessageOnStderr()
    {
        var path = Path.Combine(folder.Path, "dapr.yaml");

        var code = await RunAsync("run", "-f", path);

        Assert.Equal(1, code);
        Assert.Equal($"{path}: run file not found{Environment.NewLine}", error.ToString());
    }

    [Fact]
    public async Task Run_FolderGiven_ReadsTheDaprYamlInIt()
    {
        var path = folder.Write("dapr.yaml", "apps:\n  - appDirPath: ./orders\n");

        var code = await RunAsync("run", "--run-file", folder.Path);

        Assert.Equal(1, code);
        Assert.Equal($"{path}:1:1: version is required{Environment.NewLine}", error.ToString());
    }

    [Fact]
    public async Task Run_BadComponentFile_Exit1WithFileLineAndField()
    {
        folder.Write("dapr.yaml", "version: 1\napps:\n  - appDirPath: ./orders\n    resourcesPaths: [./components]\n");
        var component = folder.Write("orders/components/store.yaml", """
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: store
            spec:
              type: state.in-memory
              metadata:
                - name: password
                  secretKeyRef: {name: s, key: k}
            """);

        var code = await RunAsync("run", "-f", Path.Combine(folder.Path, "dapr.yaml"));

        Assert.Equal(1, code);
        Assert.StartsWith($"{component}:9:7: spec.metadata[0].secretKeyRef: needs auth.secretStore naming the secret store to read it from", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ComponentTheFactoryRefuses_Exit1WithItsMessage()
    {
        folder.Write("dapr.yaml", "version: 1\napps:\n  - appDirPath: ./orders\n    resourcesPaths: [./components]\n");
        var component = folder.Write("orders/components/store.yaml", "apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: store\nspec:\n  type: state.in-memory\n  version: v9\n");

        var code = await RunAsync("run", "-f", Path.Combine(folder.Path, "dapr.yaml"));

        Assert.Equal(1, code);
        Assert.Contains(component, error.ToString(), StringComparison.Ordinal);
        Assert.Contains("v9", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnknownAppId_Exit1ListingTheApps()
    {
        var path = folder.Write("dapr.yaml", "version: 1\napps:\n  - appDirPath: ./orders\n");

        var code = await RunAsync("run", "-f", path, "--app-id", "billing");

        Assert.Equal(1, code);
        Assert.Equal($"{path}: --app-id: no app 'billing' in the run file (apps: orders){Environment.NewLine}", error.ToString());
    }

    [Fact]
    public async Task Run_WithoutRunFile_IsAUsageError()
    {
        var code = await RunAsync("run");

        Assert.NotEqual(0, code);
        Assert.Contains("--run-file", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Verb_PluginBesideMesh_RunsItWithTheRestOfTheArgumentsAndEndsWithItsCode()
    {
        var plugins = folder.Folder("plugins");
        var plugin = folder.Write("plugins/mesh-hello", "#!/bin/sh\necho \"hello $*\"\necho \"oops\" >&2\nexit 3\n");
        File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var code = await MeshCli.RunAsync(["hello", "inventory-to-charge", "--events", "5"], output.Writer, error.Writer, new Plugins([plugins]));

        Assert.Equal(3, code);
        Assert.Equal(["hello inventory-to-charge --events 5"], output.Lines);
        Assert.Equal(["oops"], error.Lines);
    }

    [Fact]
    public async Task Demo_NoPlugin_OneLineSayingWhatIsMissingAndHowToBuildIt()
    {
        var empty = folder.Folder("no-plugins");

        var code = await MeshCli.RunAsync(["demo", "inventory-to-charge", "--events", "5"], output.Writer, error.Writer, new Plugins([empty]));

        Assert.Equal(1, code);
        Assert.Equal(
            [$"mesh: 'demo' is not a mesh command, and no plug-in mesh-demo is beside mesh (in {empty}) or on PATH; `dotnet build Mesh.sln -c Release` builds the repository's plug-ins beside mesh, or add the folder of mesh-demo to PATH"],
            error.Lines);
        Assert.Equal("", output.ToString());
    }

    private Task<int> RunAsync(params string[] args) => MeshCli.RunAsync(args, output.Writer, error.Writer);
}
