using System.Globalization;
using System.Text.Json.Nodes;
using Mesh.Runtime;
using YamlDotNet.RepresentationModel;

namespace Mesh.Testing;

/// <summary>
/// The repository's dapr.yaml and components/ copied to a temporary folder with their paths made absolute and every
/// port moved to a free one: each app's Kestrel endpoints (set through its env, as a run file may), its appPort with
/// the endpoint that was on it, the other ports its env gives (ingest's MLLP port), and the Redis of the components
/// (mesh starts a redis-server there, under this folder, unless the test gives a Redis that answers), which the
/// registry and the gateway use too. So a test runs the real mesh without the ports of a mesh someone else runs on
/// this machine. With a driver, the run file also holds a sidecar without an app, "clinic-demo", on fixed ports, for
/// <c>mesh demo ... --attach</c> run in a process of its own (<see cref="DriverEnvironment"/>): it outlives a mesh
/// that is killed and finds the sidecar again where the next <c>mesh run</c> of the file starts it.
/// </summary>
public sealed class RepositoryMesh : IDisposable
{
    public RepositoryMesh(string? redis = null, bool driver = false)
    {
        var root = Repository.Root;
        redis ??= $"127.0.0.1:{LoopbackPorts.Free()}";
        Directory.CreateDirectory(Path.Combine(Folder, "components"));
        foreach (var component in Directory.EnumerateFiles(Path.Combine(root, "components"), "*.yaml"))
        {
            File.WriteAllText(
                Path.Combine(Folder, "components", Path.GetFileName(component)),
                File.ReadAllText(component).Replace("127.0.0.1:6379", redis, StringComparison.Ordinal));
        }

        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(root, "dapr.yaml")))
        {
            yaml.Load(reader);
        }

        var runFile = (YamlMappingNode)yaml.Documents[0].RootNode;
        var common = (YamlMappingNode)runFile["common"];
        common.Children["resourcesPaths"] = new YamlSequenceNode(new YamlScalarNode(Path.Combine(Folder, "components")));
        // The registry and the gateway keep their own data in the components' Redis.
        var commonEnv = (YamlMappingNode)common["env"];
        commonEnv.Add("ConnectionStrings__registry", redis);
        commonEnv.Add("ConnectionStrings__gateway", redis);
        foreach (var app in ((YamlSequenceNode)runFile["apps"]).Cast<YamlMappingNode>())
        {
            var appDir = Path.GetFullPath(Path.Combine(root, ((YamlScalarNode)app["appDirPath"]).Value!));
            app.Children["appDirPath"] = new YamlScalarNode(appDir);
            if (!app.Children.ContainsKey("appPort"))
            {
                // A sidecar without an app (operations): no listener to move.
                continue;
            }

            var env = app.Children.TryGetValue("env", out var declared) ? (YamlMappingNode)declared : new YamlMappingNode();
            app.Children["env"] = env;
            var (appId, appPort) = (((YamlScalarNode)app["appID"]).Value!, int.Parse(((YamlScalarNode)app["appPort"]).Value!, CultureInfo.InvariantCulture));
            // The app's APP_API_TOKEN given in the run file (mesh run otherwise makes one up), so a test can call the app
            // directly as its sidecar does.
            AppTokens[appId] = Mesh.Runtime.Security.ApiTokens.NewToken();
            env.Children["APP_API_TOKEN"] = new YamlScalarNode(AppTokens[appId]);
            foreach (var (endpoint, declaredPort) in KestrelEndpoints(appDir))
            {
                var port = LoopbackPorts.Free();
                env.Children[$"Kestrel__Endpoints__{endpoint}__Url"] = new YamlScalarNode($"http://127.0.0.1:{port}");
                Ports[(appId, endpoint)] = port;
                if (declaredPort == appPort)
                {
                    AppPorts[appId] = port;
                    app.Children["appPort"] = new YamlScalarNode(port.ToString(CultureInfo.InvariantCulture));
                }
            }

            // Other listeners the run file places (ingest's MLLP port).
            foreach (var key in env.Children.Keys.Cast<YamlScalarNode>().Where(key => key.Value!.EndsWith("Port", StringComparison.Ordinal)).ToList())
            {
                var port = LoopbackPorts.Free();
                Ports[(appId, key.Value!)] = port;
                env.Children[key] = new YamlScalarNode(port.ToString(CultureInfo.InvariantCulture));
            }
        }

        if (driver)
        {
            var (http, grpc, token) = (LoopbackPorts.Free(), LoopbackPorts.Free(), Mesh.Runtime.Security.ApiTokens.NewToken());
            ((YamlSequenceNode)runFile["apps"]).Add(new YamlMappingNode
            {
                { "appID", "clinic-demo" },
                { "appDirPath", Folder },
                { "daprHTTPPort", http.ToString(CultureInfo.InvariantCulture) },
                { "daprGRPCPort", grpc.ToString(CultureInfo.InvariantCulture) },
                { "env", new YamlMappingNode { { "DAPR_API_TOKEN", token } } },
            });
            DriverEnvironment = new Dictionary<string, string?>
            {
                ["DAPR_HTTP_ENDPOINT"] = $"http://127.0.0.1:{http}", ["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{grpc}", ["DAPR_API_TOKEN"] = token,
            };
        }

        RunFile = Path.Combine(Folder, "dapr.yaml");
        using var writer = new StreamWriter(RunFile);
        yaml.Save(writer, assignAnchors: false);
    }

    /// <summary>The temporary folder; mesh keeps its data and the demo its log under .mesh/ here.</summary>
    public string Folder { get; } = Directory.CreateTempSubdirectory("mesh-demo-").FullName;

    /// <summary>The run file.</summary>
    public string RunFile { get; }

    /// <summary>Each app's port.</summary>
    public Dictionary<string, int> AppPorts { get; } = [];

    /// <summary>
    /// Every listener an app was moved to, by app and name: its Kestrel endpoints by endpoint name ("App", "Http") and
    /// the other ports its env gives by variable (ingest's "Ingest__Mllp__Port").
    /// </summary>
    public Dictionary<(string AppId, string Name), int> Ports { get; } = [];

    /// <summary>Each app's APP_API_TOKEN, which a direct call to the app's port must carry in <c>dapr-api-token</c>.</summary>
    public Dictionary<string, string> AppTokens { get; } = [];

    /// <summary>The environment of <c>mesh demo ... --attach</c> through the driver's sidecar (empty without a driver).</summary>
    public IReadOnlyDictionary<string, string?> DriverEnvironment { get; } = new Dictionary<string, string?>();

    /// <summary>What mesh's run wrote to .mesh/demo.log, for failure messages.</summary>
    public string DemoLog => File.Exists(Path.Combine(Folder, ".mesh", "demo.log")) ? File.ReadAllText(Path.Combine(Folder, ".mesh", "demo.log")) : "(no demo.log)";

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(Folder, recursive: true);

    // The Kestrel endpoints an app's appsettings.json declares, by name, with their port.
    private static IEnumerable<(string Name, int Port)> KestrelEndpoints(string appFolder)
    {
        var settings = JsonNode.Parse(File.ReadAllText(Path.Combine(appFolder, "appsettings.json")))!;
        return settings["Kestrel"]!["Endpoints"]!.AsObject().Select(endpoint => (endpoint.Key, new Uri((string)endpoint.Value!["Url"]!).Port));
    }
}
