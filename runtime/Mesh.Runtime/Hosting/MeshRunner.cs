using System.Net.Sockets;
using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar;
using Mesh.Runtime.Telemetry;

namespace Mesh.Runtime.Hosting;

/// <summary>What <c>mesh run</c> was asked to do.</summary>
/// <param name="RunFile">The run file, or a folder holding dapr.yaml / dapr.yml.</param>
/// <param name="AppIds">Run only these apps of the file; empty runs every app.</param>
/// <param name="AppHealthTimeout">How long an app may take to answer on its port.</param>
/// <param name="Restarts">How a crashed app is restarted; <see cref="RestartPolicy.Default"/> when null.</param>
/// <param name="Metrics">Where the runtime serves its metrics; null for no metrics endpoint.</param>
public sealed record RunOptions(string RunFile, IReadOnlyList<string> AppIds, TimeSpan AppHealthTimeout, RestartPolicy? Restarts = null, MetricsEndpoint? Metrics = null);

/// <summary>
/// Work to run once every app of the run answers, through a sidecar of its own: a client-only app (no app port,
/// no command) that sees the same resources as the first app of the file. The run ends when it returns.
/// </summary>
/// <param name="AppId">The app id of the session's sidecar.</param>
/// <param name="RunAsync">The work; its result is the exit code of the run.</param>
public sealed record MeshSession(string AppId, Func<DaprSidecar, CancellationToken, Task<int>> RunAsync);

/// <summary>
/// <c>mesh run</c>: what <c>dapr run -f</c> does, with an embedded sidecar per app instead of daprd. Reads
/// and checks every file before starting anything; refuses an app whose port something else holds; starts a local
/// redis-server when a Redis component needs one; starts the mesh (<see cref="MeshHost"/>: every sidecar), then
/// every app; starts deliveries to each app once it answers; restarts an app that crashes (<see cref="RestartPolicy"/>);
/// and runs until Ctrl-C or until an app exits cleanly or keeps crashing, then stops apps, sidecars, components and
/// Redis in that order.
/// </summary>
public sealed class MeshRunner(TextWriter output, TextWriter error)
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Runs until <paramref name="stopping"/> is cancelled (exit code 0) or something fails (non-zero); with a
    /// <paramref name="session"/>, until the session ends (its exit code).
    /// </summary>
    public async Task<int> RunAsync(RunOptions options, CancellationToken stopping, MeshSession? session = null)
    {
        MeshPlan plan;
        try
        {
            plan = await MeshPlan.LoadAsync(options.RunFile, options.AppIds, output, stopping);
            plan = session is null ? plan : await plan.WithClientAsync(session.AppId, output, stopping);
        }
        catch (Exception e) when (e is ConfigurationException or ComponentException)
        {
            await error.WriteLineAsync(e.Message);
            return 1;
        }

        LocalRedis? redis = null;
        MeshHost? host = null;
        var readiness = new List<Task<bool>>();
        var failed = false;
        using var componentLogs = SidecarLog.CreateFactory(null, "info", output);
        using var stopAll = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var supervisor = new AppSupervisor(output, error, StopGrace, options.Restarts);
        try
        {
            AppPorts.EnsureFree(plan);
            AppPorts.Reserve(plan);
            redis = await LocalRedis.StartAsync(plan.Apps.SelectMany(app => app.Components), plan.Folder, output, error, stopping);
            host = await MeshHost.StartAsync(
                plan.Apps,
                new MeshHostOptions
                {
                    Output = output, ComponentLogs = componentLogs, SidecarLogs = (appId, level) => SidecarLog.CreateFactory(appId, level, output), Metrics = options.Metrics,
                },
                stopping);
            // The apps stop before their sidecars.
            host.Own(supervisor);
            foreach (var app in plan.Apps.Select(app => app.Spec))
            {
                if (app.Command.Count > 0)
                {
                    supervisor.Launch(app.AppId, app.Command, app.AppDirPath, host.EnvironmentFor(app.AppId));
                    await output.WriteLineAsync($"mesh: started app '{app.AppId}': {string.Join(' ', app.Command)} (in {app.AppDirPath})");
                }

                readiness.Add(ReadyAsync(host, app, options.AppHealthTimeout, Fail, stopAll.Token));
            }

            var announced = AnnounceAsync([.. readiness]);
            readiness.Add(announced);
            var exited = supervisor.WaitAsync(stopAll.Token);
            if (session is not null)
            {
                var work = RunSessionAsync(session, announced, host.SidecarOf(session.AppId), stopAll.Token);
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
            await Task.WhenAll(readiness);
            await (host is null ? supervisor.DisposeAsync() : host.DisposeAsync());
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

    /// <summary>Waits for the app to answer, then starts deliveries; false (and <paramref name="fail"/>) when it does not.</summary>
    private async Task<bool> ReadyAsync(MeshHost host, AppSpec app, TimeSpan timeout, Action fail, CancellationToken cancellationToken)
    {
        try
        {
            if (!await host.StartDeliveriesWhenReadyAsync(app.AppId, timeout, cancellationToken))
            {
                await error.WriteLineAsync($"mesh: app '{app.AppId}' did not answer on {app.AppChannelAddress}:{app.AppPort} within {timeout.TotalSeconds:0}s; stopping");
                fail();
                return false;
            }

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
