using System.Net;
using System.Net.Sockets;
using Mesh.Runtime;
using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Security;
using Mesh.Runtime.Sidecar;
using Microsoft.Extensions.Logging;

namespace Mesh.Cli;

/// <summary>What <c>mesh run</c> was asked to do.</summary>
/// <param name="RunFile">The run file, or a folder holding dapr.yaml / dapr.yml.</param>
/// <param name="AppIds">Run only these apps of the file; empty runs every app.</param>
/// <param name="AppHealthTimeout">How long an app may take to answer on its port.</param>
internal sealed record RunOptions(string RunFile, IReadOnlyList<string> AppIds, TimeSpan AppHealthTimeout);

/// <summary>
/// Work to run once every app of the run answers, through a sidecar of its own: a client-only app (no app port,
/// no command) that sees the same resources as the first app of the file. The run ends when it returns.
/// </summary>
/// <param name="AppId">The app id of the session's sidecar.</param>
/// <param name="RunAsync">The work; its result is the exit code of the run.</param>
internal sealed record MeshSession(string AppId, Func<DaprSidecar, CancellationToken, Task<int>> RunAsync);

/// <summary>One app of the run with the resources it sees (secrets read), its secret stores and its two tokens.</summary>
internal sealed record AppPlan(AppSpec App, IReadOnlyList<ComponentDefinition> Components, ResiliencySpec Resiliency, DaprConfiguration? Configuration = null)
{
    /// <summary>The app's secret stores, by component name.</summary>
    public IReadOnlyDictionary<string, ISecretStore> SecretStores { get; init; } = new Dictionary<string, ISecretStore>();

    /// <summary>DAPR_API_TOKEN and APP_API_TOKEN: the app's env in the run file, else mesh's environment, else new.</summary>
    public ApiTokens Tokens { get; init; } = ApiTokens.For(App.Env);
}

/// <summary>
/// <c>mesh run</c>: what <c>dapr run -f</c> does, with an embedded sidecar per app instead of daprd. Reads
/// and checks every file before starting anything; starts a local redis-server when a Redis component
/// needs one; starts every sidecar, then every app; starts deliveries to each app once it answers; and
/// runs until Ctrl-C or until an app exits, then stops apps, sidecars, components and Redis in that order.
/// </summary>
internal sealed class MeshRunner(TextWriter output, TextWriter error)
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Runs until <paramref name="stopping"/> is cancelled (exit code 0) or something fails (non-zero); with a
    /// <paramref name="session"/>, until the session ends (its exit code).
    /// </summary>
    public async Task<int> RunAsync(RunOptions options, CancellationToken stopping, MeshSession? session = null)
    {
        RunFile runFile;
        List<AppPlan> plans;
        try
        {
            (runFile, plans) = await PlanAsync(options, session);
        }
        catch (Exception e) when (e is ConfigurationException or ComponentException)
        {
            await error.WriteLineAsync(e.Message);
            return 1;
        }

        LocalRedis? redis = null;
        var components = new Dictionary<(string File, string Name), IAsyncDisposable>();
        var sidecars = new List<(DaprSidecar Sidecar, ILoggerFactory Logs)>();
        var readiness = new List<Task<bool>>();
        var failed = false;
        using var componentLogs = SidecarLog.CreateFactory(null, "info", output);
        using var stopAll = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        await using var supervisor = new AppSupervisor(output, error, StopGrace);
        try
        {
            redis = await LocalRedis.StartAsync(plans.SelectMany(plan => plan.Components), Path.GetDirectoryName(runFile.Path)!, output, error, stopping);

            // Every app is known before any sidecar starts, so service invocation finds apps started later.
            var directory = new AppDirectory();
            foreach (var plan in plans)
            {
                directory.Register(new AppEndpoint(plan.App.AppId, plan.App.AppChannelAddress, plan.App.AppPort, plan.App.AppProtocol));
            }

            foreach (var plan in plans)
            {
                var logs = SidecarLog.CreateFactory(plan.App.AppId, plan.App.LogLevel, output);
                DaprSidecar sidecar;
                try
                {
                    sidecar = await DaprSidecar.StartAsync(Settings(plan, directory, components, componentLogs), logs, stopping);
                }
                catch
                {
                    logs.Dispose();
                    throw;
                }

                sidecars.Add((sidecar, logs));
                await output.WriteLineAsync(
                    $"mesh: started the sidecar of '{plan.App.AppId}': Dapr HTTP API on 127.0.0.1:{sidecar.HttpPort}, gRPC API on 127.0.0.1:{sidecar.GrpcPort}");
            }

            for (var i = 0; i < plans.Count; i++)
            {
                var (app, sidecar) = (plans[i].App, sidecars[i].Sidecar);
                if (app.Command.Count > 0)
                {
                    supervisor.Launch(app.AppId, app.Command, app.AppDirPath, AppEnvironment.For(app, sidecar.HttpPort, sidecar.GrpcPort, LoopbackPorts.Free(), plans[i].Tokens));
                    await output.WriteLineAsync($"mesh: started app '{app.AppId}': {string.Join(' ', app.Command)} (in {app.AppDirPath})");
                }

                readiness.Add(ReadyAsync(app, sidecar, options.AppHealthTimeout, Fail, stopAll.Token));
            }

            var announced = AnnounceAsync([.. readiness]);
            readiness.Add(announced);
            var exited = supervisor.WaitAsync(stopAll.Token);
            if (session is not null)
            {
                var work = RunSessionAsync(session, announced, sidecars[^1].Sidecar, stopAll.Token);
                if (await Task.WhenAny(work, exited) == work)
                {
                    return await work;
                }

                await stopAll.CancelAsync();
                await work;
            }

            var code = await exited;
            return failed && !stopping.IsCancellationRequested ? 1 : code;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception e)
        {
            await error.WriteLineAsync(e is ConfigurationException or ComponentException ? e.Message : $"mesh: {Describe(e)}");
            return 1;
        }
        finally
        {
            await stopAll.CancelAsync();
            await supervisor.StopAllAsync();
            await Task.WhenAll(readiness);
            foreach (var (sidecar, logs) in sidecars)
            {
                await sidecar.DisposeAsync();
                logs.Dispose();
            }

            foreach (var component in components.Values)
            {
                await component.DisposeAsync();
            }

            if (redis is not null)
            {
                await redis.DisposeAsync();
            }
        }

        void Fail()
        {
            failed = true;
            stopAll.Cancel();
        }
    }

    private async Task<int> RunSessionAsync(MeshSession session, Task<bool> announced, DaprSidecar sidecar, CancellationToken cancellationToken)
    {
        try
        {
            return await announced ? await session.RunAsync(sidecar, cancellationToken) : 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync($"mesh: '{session.AppId}' was stopped before it finished");
            return 1;
        }
    }

    /// <summary>Reads the run file and every app's resources and checks every component, before anything starts.</summary>
    private async Task<(RunFile RunFile, List<AppPlan> Plans)> PlanAsync(RunOptions options, MeshSession? session)
    {
        var runFile = RunFileLoader.Load(RunFilePath(options.RunFile));
        var ids = runFile.Apps.Select(app => app.AppId).ToList();
        if (options.AppIds.FirstOrDefault(id => !ids.Contains(id)) is { } unknown)
        {
            throw new ConfigurationException($"{runFile.Path}: --app-id: no app '{unknown}' in the run file (apps: {string.Join(", ", ids)})");
        }

        var plans = new List<AppPlan>();
        var ignored = new HashSet<(string, string)>();
        foreach (var app in runFile.Apps.Where(app => options.AppIds.Count == 0 || options.AppIds.Contains(app.AppId)))
        {
            plans.Add(await PlanAppAsync(app, DaprConfigurationLoader.Load(app.ConfigFilePath), ignored));
        }

        if (session is not null && plans.Count > 0)
        {
            var first = plans[0];
            var client = new AppSpec(session.AppId, Path.GetDirectoryName(runFile.Path)!, 0, "http", "127.0.0.1", null, null, [], new Dictionary<string, string>(),
                first.App.ResourcesPaths, null, false, "warn");
            plans.Add(await PlanAppAsync(client, null, ignored));
        }

        return (runFile, plans);
    }

    // Loads an app's resources, writes the development secrets they refer to when their file does not exist yet, reads
    // the secrets (from the app's folder, where daprd would run) and checks every component.
    private async Task<AppPlan> PlanAppAsync(AppSpec app, DaprConfiguration? configuration, HashSet<(string, string)> ignored)
    {
        var (loaded, resiliency) = ResourceLoader.Load(app.ResourcesPaths, app.AppId);
        foreach (var file in DevSecrets.Ensure(loaded, app.AppDirPath))
        {
            await output.WriteLineAsync($"mesh: wrote development secrets for '{app.AppId}' to {file} (git-ignored, owner-only; state encrypted with its keys cannot be read without it)");
        }

        var resolved = await ComponentSecrets.ResolveAsync(loaded, app.AppDirPath, CancellationToken.None);
        foreach (var (component, store) in resolved.Deferred)
        {
            await output.WriteLineAsync($"mesh: {component.SourceFile}: component '{component.Name}' reads its secrets from '{store}', which app '{app.AppId}' does not see; as daprd, mesh does not load it for '{app.AppId}'");
        }

        foreach (var component in resolved.Components)
        {
            if (ComponentFactory.IsStateStore(component.Type) || ComponentFactory.IsPubSub(component.Type) || ComponentFactory.IsSecretStore(component.Type))
            {
                ComponentFactory.Validate(component);
            }
            else if (ignored.Add((component.SourceFile, component.Name)))
            {
                await output.WriteLineAsync($"mesh: {component.SourceFile}: component '{component.Name}' has type {component.Type}, which mesh does not support; it is ignored");
            }
        }

        return new AppPlan(app, resolved.Components, resiliency, configuration) { SecretStores = resolved.SecretStores };
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

    // One component instance per (file, name) and secrets read, shared by every app that sees it with the same secrets
    // (each app reads its own secrets file, so its encryption keys are its own).
    private static SidecarSettings Settings(
        AppPlan plan, AppDirectory directory, Dictionary<(string File, string Name), IAsyncDisposable> instances, ILoggerFactory componentLogs)
    {
        var stateStores = new Dictionary<string, IStateStore>(StringComparer.Ordinal);
        var pubSubs = new Dictionary<string, IPubSub>(StringComparer.Ordinal);
        foreach (var definition in plan.Components)
        {
            var key = (Path.GetFullPath(definition.SourceFile), definition.SecretRefs.Count == 0 ? definition.Name : $"{definition.Name}#{plan.App.AppDirPath}");
            if (ComponentFactory.IsStateStore(definition.Type))
            {
                if (!instances.TryGetValue(key, out var store))
                {
                    instances[key] = store = ComponentFactory.CreateStateStore(definition);
                }

                stateStores[definition.Name] = (IStateStore)store;
            }
            else if (ComponentFactory.IsPubSub(definition.Type))
            {
                if (!instances.TryGetValue(key, out var pubSub))
                {
                    instances[key] = pubSub = ComponentFactory.CreatePubSub(definition, componentLogs);
                }

                pubSubs[definition.Name] = (IPubSub)pubSub;
            }
        }

        var app = plan.App;
        return new SidecarSettings(
            new AppEndpoint(app.AppId, app.AppChannelAddress, app.AppPort, app.AppProtocol),
            app.DaprHttpPort ?? 0,
            app.DaprGrpcPort ?? 0,
            stateStores,
            pubSubs,
            plan.Components,
            plan.Resiliency,
            directory,
            plan.Configuration)
        {
            SecretStores = plan.SecretStores,
            ApiToken = plan.Tokens.DaprApiToken,
            AppApiToken = plan.Tokens.AppApiToken,
        };
    }

    /// <summary>Waits for the app to answer, then starts deliveries; false (and <paramref name="fail"/>) when it does not.</summary>
    private async Task<bool> ReadyAsync(AppSpec app, DaprSidecar sidecar, TimeSpan timeout, Action fail, CancellationToken cancellationToken)
    {
        try
        {
            // Without an app port there is no app channel: nothing to wait for and nothing to deliver to, as in daprd.
            if (app.AppPort == 0)
            {
                return true;
            }

            if (!await AppHealth.WaitAsync(app, timeout, output, cancellationToken))
            {
                await error.WriteLineAsync($"mesh: app '{app.AppId}' did not answer on {app.AppChannelAddress}:{app.AppPort} within {timeout.TotalSeconds:0}s; stopping");
                fail();
                return false;
            }

            await sidecar.StartDeliveriesAsync(cancellationToken);
            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e)
        {
            await error.WriteLineAsync($"mesh: app '{app.AppId}': deliveries did not start: {Describe(e)}; stopping");
            fail();
            return false;
        }
    }

    private async Task<bool> AnnounceAsync(Task<bool>[] readiness)
    {
        if (!(await Task.WhenAll(readiness)).All(ready => ready))
        {
            return false;
        }

        await output.WriteLineAsync("mesh: you're up and running; press Ctrl-C to stop");
        return true;
    }

    // Expected failures (bad files, ports in use, unreachable services) read best as their message; anything else is a bug worth its stack.
    private static string Describe(Exception e) =>
        e is ConfigurationException or ComponentException or IOException or InvalidOperationException or SocketException or HttpRequestException
            ? e.Message
            : e.ToString();
}
