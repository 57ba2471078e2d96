using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;

namespace Mesh.Runtime.Hosting;

/// <summary>A run file read and checked, with every app's resources, before anything starts.</summary>
/// <param name="RunFile">The run file.</param>
/// <param name="Apps">The apps to run, in file order, each with the resources it sees.</param>
public sealed record MeshPlan(RunFile RunFile, IReadOnlyList<MeshApp> Apps)
{
    /// <summary>The run file's folder, under which mesh keeps its own data (.mesh/).</summary>
    public string Folder => Path.GetDirectoryName(RunFile.Path)!;

    /// <summary>
    /// Reads the run file (or the dapr.yaml / dapr.yml of a folder, as <c>dapr run -f</c> does) and the resources
    /// of its apps (only <paramref name="appIds"/> when given) and their Dapr Configuration files, and checks every
    /// component a sidecar will create.
    /// A component type mesh does not support is reported on <paramref name="warnings"/> and left out.
    /// </summary>
    /// <exception cref="ConfigurationException">A file is invalid, or an app id is not in the run file.</exception>
    /// <exception cref="ComponentException">A component's metadata is invalid.</exception>
    public static MeshPlan Load(string runFileOrFolder, IReadOnlyList<string> appIds, TextWriter warnings)
    {
        var runFile = RunFileLoader.Load(RunFilePath(runFileOrFolder));
        var ids = runFile.Apps.Select(app => app.AppId).ToList();
        if (appIds.FirstOrDefault(id => !ids.Contains(id)) is { } unknown)
        {
            throw new ConfigurationException($"{runFile.Path}: --app-id: no app '{unknown}' in the run file (apps: {string.Join(", ", ids)})");
        }

        var apps = new List<MeshApp>();
        var ignored = new HashSet<(string, string)>();
        foreach (var app in runFile.Apps.Where(app => appIds.Count == 0 || appIds.Contains(app.AppId)))
        {
            var (components, resiliency, subscriptions) = ResourceLoader.Load(app.ResourcesPaths, app.AppId);
            foreach (var component in components)
            {
                if (ComponentFactory.IsStateStore(component.Type) || ComponentFactory.IsPubSub(component.Type))
                {
                    ComponentFactory.Validate(component);
                }
                else if (ignored.Add((component.SourceFile, component.Name)))
                {
                    warnings.WriteLine($"mesh: {component.SourceFile}: component '{component.Name}' has type {component.Type}, which mesh does not support; it is ignored");
                }
            }

            apps.Add(new MeshApp(app, components, resiliency, DaprConfigurationLoader.Load(app.ConfigFilePath)) { Subscriptions = subscriptions });
        }

        return new MeshPlan(runFile, apps);
    }

    /// <summary>
    /// The plan with a client-only app added (no app port, no command) that sees the same resources as the first
    /// app of the file: a sidecar for work done against the mesh from mesh's own process.
    /// </summary>
    public MeshPlan WithClient(string appId)
    {
        if (Apps.Count == 0)
        {
            return this;
        }

        var first = Apps[0];
        var client = new AppSpec(appId, Folder, 0, "http", "127.0.0.1", null, null, [], new Dictionary<string, string>(), first.Spec.ResourcesPaths, null, false, "warn");
        return this with { Apps = [.. Apps, new MeshApp(client, first.Components, first.Resiliency)] };
    }

    // Like `dapr run -f <folder>`, a folder means the dapr.yaml (or dapr.yml) in it.
    private static string RunFilePath(string given)
    {
        if (!Directory.Exists(given))
        {
            return given;
        }

        var yml = Path.Combine(given, "dapr.yml");
        return File.Exists(yml) && !File.Exists(Path.Combine(given, "dapr.yaml")) ? yml : Path.Combine(given, "dapr.yaml");
    }
}
