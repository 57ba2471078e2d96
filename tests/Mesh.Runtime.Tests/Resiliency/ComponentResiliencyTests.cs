using Grpc.Core;
using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar;
using Mesh.Runtime.Tests.Components;
using Mesh.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Runtime.Tests.Resiliency;

/// <summary><c>targets.components.&lt;name&gt;.outbound</c> policies on the app's state calls, over a real Redis.</summary>
public sealed class ComponentResiliencyTests : IAsyncLifetime
{
    private static readonly CircuitBreakerPolicy TripOnFirstFailure = new("cb", 1, TimeSpan.Zero, TimeSpan.FromMinutes(5), "consecutiveFailures > 0");

    private RedisServer? redis;
    private IStateStore store = null!;

    public async Task InitializeAsync()
    {
        redis = await RedisServer.StartAsync();
        store = ComponentFactory.CreateStateStore(TestComponents.Define("statestore", "state.redis", ("redisHost", redis.ConnectionString)));
    }

    public async Task DisposeAsync()
    {
        await store.DisposeAsync();
        if (redis is not null)
        {
            await redis.DisposeAsync();
        }
    }

    [Fact]
    public async Task SaveState_RedisStopped_RetriedThenTheBreakerOpens()
    {
        var retry = new RetryPolicy("r", false, TimeSpan.FromMilliseconds(10), TimeSpan.Zero, MaxRetries: 2);
        var breaker = TripOnFirstFailure with { Trip = "consecutiveFailures > 2" };
        // A stopped Redis fails each attempt at once or at the attempt's timeout; either way it is a failure.
        await using var sidecar = await SidecarAsync(new TargetPolicies(retry, TimeSpan.FromMilliseconds(500), breaker));
        using var client = Client(sidecar);
        await client.SaveStateAsync("statestore", "k", "before");
        await redis!.DisposeAsync();
        redis = null;

        // Each attempt fails at once or at its timeout (the SDK then reports DEADLINE_EXCEEDED as a cancellation).
        var failed = await Assert.ThrowsAnyAsync<Exception>(() => client.SaveStateAsync("statestore", "k", "during"));
        var refused = await Assert.ThrowsAnyAsync<Dapr.DaprException>(() => client.GetStateAsync<string>("statestore", "k"));

        // Three attempts reached the store and failed; the next call is refused without one.
        Assert.DoesNotContain("circuit breaker", failed.ToString(), StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unavailable, Status(refused).StatusCode);
        Assert.Contains("circuit breaker is open", Status(refused).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SaveState_ETagMismatch_IsAnAnswerTheBreakerDoesNotCount()
    {
        await using var sidecar = await SidecarAsync(new TargetPolicies(null, null, TripOnFirstFailure));
        using var client = Client(sidecar);
        await client.SaveStateAsync("statestore", "k", "v1");

        var first = await client.TrySaveStateAsync("statestore", "k", "v2", "999");
        var second = await client.TrySaveStateAsync("statestore", "k", "v2", "998");
        await client.SaveStateAsync("statestore", "k", "v3");

        Assert.Equal((false, false), (first, second));
        Assert.Equal("v3", await client.GetStateAsync<string>("statestore", "k"));
    }

    private async Task<DaprSidecar> SidecarAsync(TargetPolicies outbound)
    {
        var directory = new AppDirectory();
        directory.Register(new AppEndpoint("shop", "127.0.0.1", 0, "http"));
        var resiliency = new ResiliencySpec(
            new Dictionary<string, TargetPolicies>(),
            new Dictionary<string, TargetPolicies> { ["statestore"] = outbound },
            new Dictionary<string, TargetPolicies>());
        return await DaprSidecar.StartAsync(
            new SidecarSettings(directory.Find("shop")!, 0, 0, new Dictionary<string, IStateStore> { ["statestore"] = store }, new Dictionary<string, IPubSub>(), [], resiliency, directory),
            NullLoggerFactory.Instance,
            CancellationToken.None);
    }

    private static Status Status(Dapr.DaprException error) => ((RpcException)error.InnerException!).Status;

    private static Dapr.Client.DaprClient Client(DaprSidecar sidecar) =>
        new Dapr.Client.DaprClientBuilder().UseGrpcEndpoint($"http://127.0.0.1:{sidecar.GrpcPort}").UseHttpEndpoint($"http://127.0.0.1:{sidecar.HttpPort}").Build();
}
