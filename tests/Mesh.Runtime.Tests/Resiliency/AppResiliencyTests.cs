using Dapr.Client.Autogen.Grpc.v1;
using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar;
using Mesh.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;
using DaprApi = Dapr.Client.Autogen.Grpc.v1.Dapr;

namespace Mesh.Runtime.Tests.Resiliency;

/// <summary>
/// <c>targets.apps</c> policies on service invocation: a real "billing" app whose answers the test scripts, called
/// through the "checkout" sidecar's InvokeService and /v1.0/invoke, and handed on by billing's own sidecar, as daprd does.
/// </summary>
public sealed class AppResiliencyTests : IAsyncLifetime
{
    private readonly Queue<int> answers = new();
    private readonly TestClock clock = new();
    private WebApplication billing = null!;
    private DaprSidecar? billingSidecar;
    private int billingPort;
    private int calls;
    private TaskCompletionSource hang = new();

    public async Task InitializeAsync()
    {
        billingPort = LoopbackPorts.Free();
        billing = LoopbackApp.CreateBuilder(HttpProtocols.Http1, billingPort).Build();
        billing.MapPost("/charge", async (HttpContext context) =>
        {
            Interlocked.Increment(ref calls);
            int status;
            lock (answers)
            {
                status = answers.Count > 0 ? answers.Dequeue() : 200;
            }

            if (status == 0)
            {
                await hang.Task.WaitAsync(context.RequestAborted); // answers only when the caller gives up
            }

            return Results.StatusCode(status);
        });
        await billing.StartAsync();
    }

    public async Task DisposeAsync()
    {
        hang.TrySetResult();
        if (billingSidecar is not null)
        {
            await billingSidecar.DisposeAsync();
        }

        await billing.DisposeAsync();
    }

    [Fact]
    public async Task InvokeService_ServerErrorsThenSuccess_RetriedUntilItSucceeds()
    {
        Script(503, 500);
        await using var checkout = await CheckoutAsync(new TargetPolicies(Retry(maxRetries: 3), null));

        await InvokeAsync(checkout);

        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task InvokeService_StatusOutsideMatching_NotRetried()
    {
        Script(503);
        await using var checkout = await CheckoutAsync(new TargetPolicies(Retry(maxRetries: 3) with { HttpStatusCodes = "429" }, null));

        var error = await Assert.ThrowsAsync<RpcException>(() => InvokeAsync(checkout));

        Assert.Equal(StatusCode.Unknown, error.StatusCode);
        Assert.Contains("503", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task InvokeService_BreakerTrips_LaterCallsRefusedWithoutReachingTheApp()
    {
        Script(500, 500, 500, 500);
        var breaker = new CircuitBreakerPolicy("cb", 1, TimeSpan.Zero, TimeSpan.FromMinutes(1), "consecutiveFailures > 1");
        await using var checkout = await CheckoutAsync(new TargetPolicies(null, null, breaker));

        await Assert.ThrowsAsync<RpcException>(() => InvokeAsync(checkout));
        await Assert.ThrowsAsync<RpcException>(() => InvokeAsync(checkout));
        var refused = await Assert.ThrowsAsync<RpcException>(() => InvokeAsync(checkout));
        using var http = new HttpClient();
        var forwarded = await http.PostAsync($"http://127.0.0.1:{checkout.HttpPort}/v1.0/invoke/billing/method/charge", null);

        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains("circuit breaker is open", refused.Status.Detail, StringComparison.Ordinal);
        Assert.False(forwarded.IsSuccessStatusCode);
        Assert.Equal(2, calls);

        // A minute on, one call goes through half-open; its success closes the breaker.
        clock.Advance(TimeSpan.FromMinutes(1));
        lock (answers)
        {
            answers.Clear();
        }

        await InvokeAsync(checkout);
        await InvokeAsync(checkout);
        Assert.Equal(4, calls);
    }

    [Fact]
    public async Task InvokeService_AppSlowerThanTheTimeout_DeadlineExceeded()
    {
        Script(0);
        await using var checkout = await CheckoutAsync(new TargetPolicies(null, TimeSpan.FromSeconds(2)));

        var call = InvokeAsync(checkout);
        // Polly arms the attempt's timeout before the attempt starts: once the app has the call, the clock may move.
        for (var i = 0; i < 400 && Volatile.Read(ref calls) == 0; i++)
        {
            await Task.Delay(25);
        }

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(call.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    private static RetryPolicy Retry(int maxRetries) => new("r", false, TimeSpan.FromMilliseconds(10), TimeSpan.Zero, maxRetries);

    private void Script(params int[] statuses)
    {
        lock (answers)
        {
            foreach (var status in statuses)
            {
                answers.Enqueue(status);
            }
        }
    }

    private async Task<DaprSidecar> CheckoutAsync(TargetPolicies billingPolicies)
    {
        var directory = new AppDirectory();
        directory.Register(new AppEndpoint("billing", "127.0.0.1", billingPort, "http"));
        directory.Register(new AppEndpoint("checkout", "127.0.0.1", 0, "http"));
        var resiliency = new ResiliencySpec(
            new Dictionary<string, TargetPolicies>(),
            new Dictionary<string, TargetPolicies>(),
            new Dictionary<string, TargetPolicies> { ["billing"] = billingPolicies });
        // The retries' 10 ms backoff runs on the real clock; the breaker's and the timeout's waits on the test's.
        var time = billingPolicies.Retry is null ? (TimeProvider)clock : TimeProvider.System;
        billingSidecar = await DaprSidecar.StartAsync(
            new SidecarSettings(directory.Find("billing")!, 0, 0, new Dictionary<string, IStateStore>(), new Dictionary<string, IPubSub>(), [], ResiliencySpec.None, directory, Clock: time),
            NullLoggerFactory.Instance,
            CancellationToken.None);
        return await DaprSidecar.StartAsync(
            new SidecarSettings(directory.Find("checkout")!, 0, 0, new Dictionary<string, IStateStore>(), new Dictionary<string, IPubSub>(), [], resiliency, directory, Clock: time),
            NullLoggerFactory.Instance,
            CancellationToken.None);
    }

    private static async Task InvokeAsync(DaprSidecar sidecar)
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{sidecar.GrpcPort}");
        await new DaprApi.DaprClient(channel).InvokeServiceAsync(new InvokeServiceRequest
        {
            Id = "billing",
            Message = new InvokeRequest { Method = "charge", HttpExtension = new HTTPExtension { Verb = HTTPExtension.Types.Verb.Post } },
        });
    }
}
