using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mesh.Runtime;
using Mesh.Runtime.Configuration;
using Mesh.Testing;

namespace Mesh.Demo.Tests;

/// <summary>
/// The repository's dapr.yaml and components/ copied to a temporary folder with their paths made absolute and every
/// port moved to a free one: each app's appPort and its Kestrel endpoint (set through its env, as a run file may),
/// and the Redis of the components (mesh starts a redis-server there, under this folder), which the registry uses
/// too. So a test runs the real mesh without the ports of a mesh someone else runs on this machine.
/// </summary>
internal sealed class RepositoryMesh : IDisposable
{
    public RepositoryMesh()
    {
        var root = Repository.Root;
        var redis = $"127.0.0.1:{LoopbackPorts.Free()}";
        Directory.CreateDirectory(Path.Combine(Folder, "components"));
        foreach (var component in Directory.EnumerateFiles(Path.Combine(root, "components"), "*.yaml"))
        {
            File.WriteAllText(
                Path.Combine(Folder, "components", Path.GetFileName(component)),
                File.ReadAllText(component).Replace("127.0.0.1:6379", redis, StringComparison.Ordinal));
        }

        var text = File.ReadAllText(Path.Combine(root, "dapr.yaml"))
            .Replace("./components", Path.Combine(Folder, "components"), StringComparison.Ordinal)
            .Replace("./", root + "/", StringComparison.Ordinal)
            .Replace("ASPNETCORE_ENVIRONMENT: Development", $"ASPNETCORE_ENVIRONMENT: Development\n    ConnectionStrings__registry: \"{redis}\"", StringComparison.Ordinal);
        foreach (var app in RunFileLoader.Load(Path.Combine(root, "dapr.yaml")).Apps)
        {
            var port = LoopbackPorts.Free();
            AppPorts[app.AppId] = port;
            var endpoint = KestrelEndpoint(app.AppDirPath);
            text = AppPortLine(app.AppPort).Replace(
                text, $"    appPort: {port}\n    env:\n      Kestrel__Endpoints__{endpoint}__Url: \"http://127.0.0.1:{port}\"", 1);
        }

        RunFile = Path.Combine(Folder, "dapr.yaml");
        File.WriteAllText(RunFile, text);
    }

    /// <summary>The temporary folder; mesh keeps its data and the demo its log under .mesh/ here.</summary>
    public string Folder { get; } = Directory.CreateTempSubdirectory("mesh-demo-").FullName;

    /// <summary>The run file.</summary>
    public string RunFile { get; }

    /// <summary>Each app's port.</summary>
    public Dictionary<string, int> AppPorts { get; } = [];

    /// <summary>What mesh's run wrote to .mesh/demo.log, for failure messages.</summary>
    public string DemoLog => File.Exists(Path.Combine(Folder, ".mesh", "demo.log")) ? File.ReadAllText(Path.Combine(Folder, ".mesh", "demo.log")) : "(no demo.log)";

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(Folder, recursive: true);

    // The name of the one Kestrel endpoint an app's appsettings.json declares (App, Http, Grpc).
    private static string KestrelEndpoint(string appFolder)
    {
        var settings = JsonNode.Parse(File.ReadAllText(Path.Combine(appFolder, "appsettings.json")))!;
        return settings["Kestrel"]!["Endpoints"]!.AsObject().Single().Key;
    }

    private static Regex AppPortLine(int port) => new($"^    appPort: {port}$", RegexOptions.Multiline);
}
