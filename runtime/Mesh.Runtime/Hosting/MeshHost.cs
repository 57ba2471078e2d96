using Mesh.Runtime.Components;
using Mesh.Runtime.Sidecar;
using Mesh.Runtime.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Runtime.Hosting;

/// <summary>How a <see cref="MeshHost"/> reports and logs.</summary>
public sealed class MeshHostOptions
{
    /// <summary>Where mesh's own lines go ("mesh: started the sidecar of ...", waiting for an app).</summary>
    public TextWriter Output { get; init; } = TextWriter.Null;

    /// <summary>The logs of the components (shared by every sidecar that sees them).</summary>
    public ILoggerFactory ComponentLogs { get; init; } = NullLoggerFactory.Instance;

    /// <summary>The logs of one app's sidecar, given the app id and its run file logLevel; the host disposes them.</summary>
    public Func<string, string, ILoggerFactory>? SidecarLogs { get; init; }

    /// <summary>The clock of every sidecar (timers, retries, timeouts, timestamps); null for the system clock, tests pass a fake one.</summary>
    public TimeProvider? Clock { get; init; }

    /// <summary>
    /// The clock of the sidecars' workflow engines (durable timers, a workflow's current time); null for
    /// <see cref="Clock"/>. A test passes a fake one to move a saga past its timers while deliveries, retries and
    /// timeouts keep the real clock (a mesh on one fake clock would never redeliver or retry).
    /// </summary>
    public TimeProvider? WorkflowClock { get; init; }

    /// <summary>Where the runtime serves the sidecars' metrics (<see cref="RuntimeTelemetry"/>); null for none.</summary>
    public MetricsEndpoint? Metrics { get; init; }
}

/// <summary>
/// One machine's mesh, whoever runs it (<c>mesh run</c>, <c>mesh demo</c>, tests, benchmarks): from the apps of a run
/// file (<see cref="MeshPlan"/>) or apps declared in code (<see cref="MeshApp.Create"/>), it creates each component
/// once per (file, name) however many apps see it, registers every app in one <see cref="AppDirectory"/> before
/// any sidecar starts (so invocation finds apps started later), starts one sidecar per app, and starts deliveries
/// to an app once it answers; with <see cref="MeshHostOptions.Metrics"/>, it serves the runtime's metrics first.
/// The apps themselves are the caller's: it hands what runs against the mesh to <see cref="Own"/>. Disposing stops,
/// in order, what it owns (newest first), the readiness waits, the sidecars (newest first), the components and the
/// metrics endpoint (flushing spans still batched).
/// </summary>
public sealed class MeshHost : IAsyncDisposable
{
    // A picked port can be taken by another process before the sidecar binds it; picking again is then enough.
    private const int SidecarStartAttempts = 3;

    private readonly MeshHostOptions options;
    private readonly Dictionary<(string File, string Name), IAsyncDisposable> components = [];
    private readonly List<Running> sidecars = [];
    private readonly List<IAsyncDisposable> owned = [];
    private readonly List<Task> readiness = [];
    private readonly CancellationTokenSource disposing = new();

    private MeshHost(MeshHostOptions options) => this.options = options;

    /// <summary>The apps every sidecar can invoke.</summary>
    public AppDirectory Directory { get; } = new();

    /// <summary>The runtime's metrics endpoint (and span export), when <see cref="MeshHostOptions.Metrics"/> asked for one.</summary>
    public RuntimeTelemetry? Telemetry { get; private set; }

    /// <summary>The apps of the mesh, in the order their sidecars started.</summary>
    public IReadOnlyList<MeshApp> Apps => [.. sidecars.Select(s => s.App)];

    /// <summary>Registers every app, then starts a sidecar for each, in order.</summary>
    /// <exception cref="InvalidOperationException">A sidecar could not start; the message names the app and the reason.</exception>
    /// <exception cref="IOException">The metrics port someone chose is in use; the message names it and says what to do.</exception>
    public static async Task<MeshHost> StartAsync(IReadOnlyList<MeshApp> apps, MeshHostOptions? options = null, CancellationToken cancellationToken = default)
    {
        var host = new MeshHost(options ?? new MeshHostOptions());
        try
        {
            await host.StartTelemetryAsync(cancellationToken);
            foreach (var app in apps)
            {
                host.Directory.Register(app.Endpoint);
            }

            foreach (var app in apps)
            {
                await host.StartSidecarAsync(app, cancellationToken);
            }
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    /// <summary>
    /// Adds an app to the running mesh and starts its sidecar; an app of the same id is replaced (its sidecar
    /// stops first), e.g. when the app had to move to another port.
    /// </summary>
    public async Task<DaprSidecar> AddAsync(MeshApp app, CancellationToken cancellationToken = default)
    {
        if (sidecars.FindIndex(s => s.App.AppId == app.AppId) is >= 0 and var index)
        {
            var replaced = sidecars[index];
            sidecars.RemoveAt(index);
            await replaced.DisposeAsync();
        }

        Directory.Register(app.Endpoint);
        return await StartSidecarAsync(app, cancellationToken);
    }

    /// <summary>The sidecar of an app of this mesh.</summary>
    /// <exception cref="KeyNotFoundException">No app of that id.</exception>
    public DaprSidecar SidecarOf(string appId) => Find(appId).Sidecar;

    /// <summary>
    /// The environment the Dapr CLI gives the app's process (APP_ID, DAPR_GRPC_ENDPOINT, ... for its sidecar, then
    /// the app's own env): what an app hosted in a test gets as configuration.
    /// </summary>
    public IReadOnlyDictionary<string, string> EnvironmentFor(string appId)
    {
        var running = Find(appId);
        return AppEnvironment.For(running.App.Spec, running.Sidecar.HttpPort, running.Sidecar.GrpcPort, Telemetry?.MetricsPort ?? LoopbackPorts.Free(), running.App.Tokens);
    }

    /// <summary>The APP_API_TOKEN of an app of this mesh (null without tokens): what a caller of the app standing in for its sidecar sends.</summary>
    public string? AppTokenOf(string appId) => Find(appId).App.Tokens?.AppApiToken;

    /// <summary>
    /// Waits until the app answers (see <see cref="AppHealth"/>), then starts its sidecar's deliveries; false when it
    /// does not answer within <paramref name="timeout"/>. An app without a port has nothing to deliver to, as in daprd.
    /// Disposing the host cancels the wait.
    /// </summary>
    public Task<bool> StartDeliveriesWhenReadyAsync(string appId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var running = Find(appId);
        var wait = WhenReadyAsync(running, timeout, cancellationToken);
        lock (readiness)
        {
            readiness.Add(wait);
        }

        return wait;
    }

    /// <summary>Hands over something that runs against the mesh (an app, a client); it is disposed before the sidecars, newest first.</summary>
    public void Own(IAsyncDisposable running)
    {
        lock (owned)
        {
            owned.Add(running);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await disposing.CancelAsync();
        List<IAsyncDisposable> apps;
        lock (owned)
        {
            apps = [.. owned];
            owned.Clear();
        }

        foreach (var app in Enumerable.Reverse(apps))
        {
            await app.DisposeAsync();
        }

        Task[] waits;
        lock (readiness)
        {
            waits = [.. readiness];
        }

        // Their outcome was the caller's to see; here they only must not outlive the sidecars.
        await Task.WhenAll(waits.Select(wait => wait.ContinueWith(_ => { }, TaskScheduler.Default)));
        foreach (var sidecar in Enumerable.Reverse(sidecars))
        {
            await sidecar.DisposeAsync();
        }

        sidecars.Clear();
        foreach (var component in components.Values)
        {
            await component.DisposeAsync();
        }

        components.Clear();
        if (Telemetry is not null)
        {
            await Telemetry.DisposeAsync();
            Telemetry = null;
        }

        disposing.Dispose();
    }

    // One endpoint for every sidecar of the process (they share it), as daprd's metrics port is per sidecar.
    private async Task StartTelemetryAsync(CancellationToken cancellationToken)
    {
        if (options.Metrics is not { } metrics)
        {
            return;
        }

        try
        {
            Telemetry = await RuntimeTelemetry.StartAsync(metrics.Port, metrics.Exporter, cancellationToken);
        }
        catch (IOException) when (metrics.IsDefault && metrics.Port != 0)
        {
            Telemetry = await RuntimeTelemetry.StartAsync(0, metrics.Exporter, cancellationToken);
            await options.Output.WriteLineAsync($"mesh: port {metrics.Port} is taken, so the runtime's metrics are on another port");
        }

        await options.Output.WriteLineAsync(
            $"mesh: runtime metrics on http://127.0.0.1:{Telemetry.MetricsPort}{RuntimeTelemetry.MetricsPath}{(Telemetry.Tracing ? "; spans exported by OTLP" : "")}");
    }

    private Running Find(string appId) =>
        sidecars.FirstOrDefault(s => s.App.AppId == appId) ?? throw new KeyNotFoundException($"no app '{appId}' in this mesh");

    private async Task<DaprSidecar> StartSidecarAsync(MeshApp app, CancellationToken cancellationToken)
    {
        var settings = Settings(app);
        var picked = app.Spec.DaprHttpPort is null || app.Spec.DaprGrpcPort is null;
        var logs = options.SidecarLogs?.Invoke(app.AppId, app.Spec.LogLevel) ?? NullLoggerFactory.Instance;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var sidecar = await DaprSidecar.StartAsync(settings, logs, cancellationToken);
                sidecars.Add(new Running(app, sidecar, logs));
                await options.Output.WriteLineAsync(
                    $"mesh: started the sidecar of '{app.AppId}': Dapr HTTP API on 127.0.0.1:{sidecar.HttpPort}, gRPC API on 127.0.0.1:{sidecar.GrpcPort}");
                return sidecar;
            }
            catch (IOException) when (picked && attempt < SidecarStartAttempts)
            {
                // A port picked for it went to someone else in the meantime: pick again.
            }
            catch (IOException e)
            {
                logs.Dispose();
                throw new InvalidOperationException($"the sidecar of app '{app.AppId}' cannot start: {e.Message}", e);
            }
            catch
            {
                logs.Dispose();
                throw;
            }
        }
    }

    // One component instance per (file, name) and secrets read, shared by every app that sees it with the same secrets
    // (each app reads its own secrets file, so its encryption keys are its own).
    private SidecarSettings Settings(MeshApp app)
    {
        var stateStores = new Dictionary<string, IStateStore>(StringComparer.Ordinal);
        var pubSubs = new Dictionary<string, IPubSub>(StringComparer.Ordinal);
        foreach (var definition in app.Components)
        {
            var key = (Path.GetFullPath(definition.SourceFile), definition.SecretRefs.Count == 0 ? definition.Name : $"{definition.Name}#{app.Spec.AppDirPath}");
            if (ComponentFactory.IsStateStore(definition.Type))
            {
                if (!components.TryGetValue(key, out var store))
                {
                    components[key] = store = ComponentFactory.CreateStateStore(definition, options.Clock);
                }

                stateStores[definition.Name] = (IStateStore)store;
            }
            else if (ComponentFactory.IsPubSub(definition.Type))
            {
                if (!components.TryGetValue(key, out var pubSub))
                {
                    components[key] = pubSub = ComponentFactory.CreatePubSub(definition, options.ComponentLogs, options.Clock);
                }

                pubSubs[definition.Name] = (IPubSub)pubSub;
            }
        }

        return new SidecarSettings(
            app.Endpoint, app.Spec.DaprHttpPort ?? 0, app.Spec.DaprGrpcPort ?? 0, stateStores, pubSubs, app.Components, app.Resiliency, Directory, app.Configuration, options.Clock)
        {
            WorkflowClock = options.WorkflowClock,
            SecretStores = app.SecretStores,
            ApiToken = app.Tokens?.DaprApiToken,
            AppApiToken = app.Tokens?.AppApiToken,
            DeclaredSubscriptions = app.Subscriptions,
        };
    }

    private async Task<bool> WhenReadyAsync(Running running, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (running.App.Spec.AppPort == 0)
        {
            return true;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, disposing.Token);
        if (!await AppHealth.WaitAsync(running.App.Spec, timeout, options.Output, stop.Token))
        {
            return false;
        }

        await running.Sidecar.StartDeliveriesAsync(stop.Token);
        return true;
    }

    private sealed record Running(MeshApp App, DaprSidecar Sidecar, ILoggerFactory Logs) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Sidecar.DisposeAsync();
            Logs.Dispose();
        }
    }
}
