using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Security;

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
    /// of its apps (only <paramref name="appIds"/> when given) and their Dapr Configuration files, writes the
    /// development secrets they refer to when their file does not exist yet, reads the secrets, and checks every
    /// component a sidecar will create.
    /// A component type mesh does not support, or one whose secret store the app does not see, is reported on
    /// <paramref name="warnings"/> and left out.
    /// </summary>
    /// <exception cref="ConfigurationException">A file is invalid, or an app id is not in the run file.</exception>
    /// <exception cref="ComponentException">A component's metadata is invalid, or a secret it refers to cannot be read.</exception>
    public static async Task<MeshPlan> LoadAsync(string runFileOrFolder, IReadOnlyList<string> appIds, TextWriter warnings, CancellationToken cancellationToken = default)
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
            apps.Add(await PlanAppAsync(app, DaprConfigurationLoader.Load(app.ConfigFilePath), ignored, warnings, cancellationToken));
        }

        return new MeshPlan(runFile, apps);
    }

    /// <summary>
    /// The plan with a client-only app added (no app port, no command) that sees the same resources as the first
    /// app of the file, its secrets read from the run file's folder: a sidecar for work done against the mesh from
    /// mesh's own process.
    /// </summary>
    public async Task<MeshPlan> WithClientAsync(string appId, TextWriter warnings, CancellationToken cancellationToken = default)
    {
        if (Apps.Count == 0)
        {
            return this;
        }

        var client = new AppSpec(appId, Folder, 0, "http", "127.0.0.1", null, null, [], new Dictionary<string, string>(), Apps[0].Spec.ResourcesPaths, null, false, "warn");
        return this with { Apps = [.. Apps, await PlanAppAsync(client, null, [], warnings, cancellationToken)] };
    }

    // Loads an app's resources, writes the development secrets they refer to when their file does not exist yet, reads
    // the secrets (from the app's folder, where daprd would run) and checks every component.
    private static async Task<MeshApp> PlanAppAsync(
        AppSpec app, DaprConfiguration? configuration, HashSet<(string, string)> ignored, TextWriter warnings, CancellationToken cancellationToken)
    {
        var (loaded, resiliency, subscriptions) = ResourceLoader.Load(app.ResourcesPaths, app.AppId);
        foreach (var file in DevSecrets.Ensure(loaded, app.AppDirPath))
        {
            await warnings.WriteLineAsync($"mesh: wrote development secrets for '{app.AppId}' to {file} (git-ignored, owner-only; state encrypted with its keys cannot be read without it)");
        }

        var resolved = await ComponentSecrets.ResolveAsync(loaded, app.AppDirPath, cancellationToken);
        foreach (var (component, store) in resolved.Deferred)
        {
            await warnings.WriteLineAsync($"mesh: {component.SourceFile}: component '{component.Name}' reads its secrets from '{store}', which app '{app.AppId}' does not see; as daprd, mesh does not load it for '{app.AppId}'");
        }

        foreach (var component in resolved.Components)
        {
            if (ComponentFactory.IsStateStore(component.Type) || ComponentFactory.IsPubSub(component.Type) || ComponentFactory.IsSecretStore(component.Type))
            {
                ComponentFactory.Validate(component);
            }
            else if (ignored.Add((component.SourceFile, component.Name)))
            {
                await warnings.WriteLineAsync($"mesh: {component.SourceFile}: component '{component.Name}' has type {component.Type}, which mesh does not support; it is ignored");
            }
        }

        return new MeshApp(app, resolved.Components, resiliency, configuration) { SecretStores = resolved.SecretStores, Tokens = ApiTokens.For(app.Env), Subscriptions = subscriptions };
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
