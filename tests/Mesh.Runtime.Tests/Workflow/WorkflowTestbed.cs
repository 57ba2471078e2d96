using Dapr.DurableTask.Protobuf;
using Dapr.Workflow;
using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Hosting;
using Mesh.Runtime.Sidecar;
using Mesh.Runtime.Workflow;
using Mesh.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Mesh.Runtime.Tests.Workflow;

/// <summary>
/// A mesh of one app: its sidecar, and a workflow app using the stock Dapr.Workflow SDK against it, in this process.
/// The sidecar runs on a fake clock: a workflow's time is the time of its turns, which the engine stamps, so durable
/// timers fire when a test moves <see cref="Clock"/>, at exactly the time the workflow asked for.
/// </summary>
public class WorkflowTestbed : IAsyncLifetime, IAsyncDisposable
{
    private IHost app = null!;
    private MeshHost mesh = null!;

    public TestClock Clock { get; } = new();

    /// <summary>The app's Dapr Configuration; null for Dapr's defaults.</summary>
    public DaprConfiguration? Configuration { get; init; }

    /// <summary>The sidecar's workflow engine.</summary>
    public WorkflowEngine Engine => Sidecar.Service<WorkflowEngine>();

    public DaprSidecar Sidecar => mesh.SidecarOf("workflows");

    public ActivityLog Log { get; } = new();

    public DaprWorkflowClient Client => app.Services.GetRequiredService<DaprWorkflowClient>();

    /// <summary>The components of the sidecar; none means workflows live in memory only.</summary>
    protected virtual IReadOnlyList<ComponentDefinition> Components => [];

    public virtual async Task InitializeAsync() => await StartAsync();

    /// <summary>Starts the sidecar and the workflow app.</summary>
    public async Task StartAsync()
    {
        mesh = await MeshHost.StartAsync([MeshApp.Create("workflows", 0, "grpc", Components, configuration: Configuration)], new MeshHostOptions { Clock = Clock });

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{Sidecar.GrpcPort}",
            ["DAPR_HTTP_ENDPOINT"] = $"http://127.0.0.1:{Sidecar.HttpPort}",
        });
        builder.Services.AddSingleton(Log);
        builder.Services.AddDaprWorkflowBuilder(
            options =>
            {
                options.RegisterWorkflow<SupplySaga>();
                options.RegisterWorkflow<ChainWorkflow>();
                options.RegisterWorkflow<ParentWorkflow>();
                options.RegisterWorkflow<RetryingWorkflow>();
                options.RegisterActivity<Flaky>();
                options.RegisterActivity<ReserveStock>();
                options.RegisterActivity<CaptureCharge>();
                options.RegisterActivity<ReleaseStock>();
                options.RegisterActivity<Increment>();
            },
            (_, client) => client.UseGrpcEndpoint($"http://127.0.0.1:{Sidecar.GrpcPort}"));
        app = builder.Build();
        await app.StartAsync();
    }

    /// <summary>Stops the app and the sidecar: what the workflow engine had in memory is gone.</summary>
    public async Task StopAsync()
    {
        await app.StopAsync();
        app.Dispose();
        await mesh.DisposeAsync();
    }

    public virtual async Task DisposeAsync() => await StopAsync();

    /// <summary>For a testbed a test starts itself (<c>await using</c>).</summary>
    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    /// <summary>Waits (polling, real time) until the instance's history has <paramref name="count"/> events of a kind (consumed by a turn).</summary>
    public async Task WaitForHistoryAsync(string instanceId, HistoryEvent.EventTypeOneofCase kind, int count)
    {
        for (var i = 0; i < 400; i++)
        {
            if ((await Sidecar.Service<WorkflowQueries>().HistoryAsync(instanceId)).Count(e => e.EventTypeCase == kind) >= count)
            {
                return;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"{instanceId} never had {count} {kind} events");
    }

    /// <summary>Waits (polling, real time) until the instance's history has <paramref name="count"/> timers; the last one.</summary>
    public async Task<HistoryEvent> WaitForTimerAsync(string instanceId, int count)
    {
        for (var i = 0; i < 400; i++)
        {
            var timers = (await Sidecar.Service<WorkflowQueries>().HistoryAsync(instanceId)).Where(e => e.TimerCreated is not null).ToList();
            if (timers.Count >= count)
            {
                return timers[count - 1];
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"{instanceId} never created timer {count}");
    }

    /// <summary>
    /// Moves the clock to one tick before the earliest scheduled timer of the engine is due <paramref name="delay"/> from
    /// now, checks that none of the <paramref name="due"/> timers fired, then moves it the last millisecond and checks they did.
    /// </summary>
    public void AssertTimersFireAfter(TimeSpan delay, int due = 1)
    {
        var scheduled = Engine.TimersScheduled;
        Clock.Advance(delay - TimeSpan.FromMilliseconds(1));
        Assert.Equal(scheduled, Engine.TimersScheduled);
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(scheduled - due, Engine.TimersScheduled);
    }

    /// <summary>How long after its turn a timer fires (its fireAt less the time of the turn that created it).</summary>
    public static TimeSpan Delay(HistoryEvent timer) => timer.TimerCreated.FireAt.ToDateTimeOffset() - timer.Timestamp.ToDateTimeOffset();
}

/// <summary>The same, with the workflow state in a real Redis (the actor state store), which outlives restarts.</summary>
public sealed class RedisWorkflowTestbed : WorkflowTestbed
{
    private RedisServer redis = null!;

    protected override IReadOnlyList<ComponentDefinition> Components =>
    [
        new ComponentDefinition("statestore", "state.redis", "v1", new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["redisHost"] = redis.ConnectionString,
            ["actorStateStore"] = "true",
        }, [], "statestore.yaml"),
    ];

    public override async Task InitializeAsync()
    {
        redis = await RedisServer.StartAsync(appendOnly: true);
        await StartAsync();
    }

    public override async Task DisposeAsync()
    {
        await StopAsync();
        await redis.DisposeAsync();
    }
}
