using System.Diagnostics;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Mesh.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Mesh.ServiceDefaults.Tests;

/// <summary>
/// gRPC health answers from the published check runs, on a real Kestrel: probes run no check, a fresh app is not SERVING
/// before its checks passed, and the answer follows the checks at the publisher's runs.
/// </summary>
public sealed class GrpcHealthReadinessTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Check_ProbedManyTimes_RunsNoHealthCheck()
    {
        var check = new SwitchedCheck(HealthStatus.Healthy);
        await using var app = await StartAsync(check, period: TimeSpan.FromHours(1));
        using var channel = GrpcChannel.ForAddress(LoopbackApp.AddressOf(app));
        var health = new Health.HealthClient(channel);
        var runsAtStart = check.Runs;

        var answers = new List<ServingStatus>();
        for (var i = 0; i < 20; i++)
        {
            answers.Add((await health.CheckAsync(new HealthCheckRequest())).Status);
        }

        Assert.Equal(1, runsAtStart);
        Assert.All(answers, a => Assert.Equal(ServingStatus.Serving, a));
        Assert.Equal(runsAtStart, check.Runs);
    }

    [Fact]
    public async Task Check_UnhealthyAtStartThenHealthyThenUnhealthy_FollowsTheChecksFromTheFirstAnswer()
    {
        var check = new SwitchedCheck(HealthStatus.Unhealthy);
        await using var app = await StartAsync(check, period: TimeSpan.FromSeconds(1));
        using var channel = GrpcChannel.ForAddress(LoopbackApp.AddressOf(app));
        var health = new Health.HealthClient(channel);

        var first = (await health.CheckAsync(new HealthCheckRequest())).Status;
        check.Status = HealthStatus.Healthy;
        var recovered = await WaitForAsync(health, ServingStatus.Serving);
        check.Status = HealthStatus.Unhealthy;
        var failed = await WaitForAsync(health, ServingStatus.NotServing);

        Assert.Equal(ServingStatus.NotServing, first);
        Assert.Equal(ServingStatus.Serving, recovered);
        Assert.Equal(ServingStatus.NotServing, failed);
    }

    [Fact]
    public async Task Start_WhileACheckHangs_ListensNotServingAfterThePublisherTimeout()
    {
        var check = new SwitchedCheck(HealthStatus.Healthy) { Hangs = true };
        await using var app = await StartAsync(check, period: TimeSpan.FromHours(1), timeout: TimeSpan.FromSeconds(1));
        using var channel = GrpcChannel.ForAddress(LoopbackApp.AddressOf(app));

        var answer = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());

        Assert.Equal(ServingStatus.NotServing, answer.Status);
    }

    private static async Task<WebApplication> StartAsync(SwitchedCheck check, TimeSpan period, TimeSpan? timeout = null)
    {
        var builder = LoopbackApp.CreateBuilder(HttpProtocols.Http2);
        builder.Configuration.AddInMemoryCollection([new("APP_API_TOKEN", "token-of-this-app")]);
        builder.AddServiceDefaults();
        builder.Services.AddHealthChecks().AddCheck("switched", check);
        builder.Services.Configure<HealthCheckPublisherOptions>(o =>
        {
            (o.Delay, o.Period) = (period, period);
            o.Timeout = timeout ?? o.Timeout;
        });
        var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        return app;
    }

    // Polls until the answer is the one expected (the publisher's next run), or gives up after Patience.
    private static async Task<ServingStatus> WaitForAsync(Health.HealthClient health, ServingStatus expected)
    {
        var waited = Stopwatch.StartNew();
        ServingStatus answer;
        while ((answer = (await health.CheckAsync(new HealthCheckRequest())).Status) != expected && waited.Elapsed < Patience)
        {
            await Task.Delay(50);
        }

        return answer;
    }

    /// <summary>A readiness check whose verdict the test sets, counting its runs.</summary>
    private sealed class SwitchedCheck(HealthStatus status) : IHealthCheck
    {
        private int runs;

        public HealthStatus Status { get; set; } = status;

        public bool Hangs { get; init; }

        public int Runs => Volatile.Read(ref runs);

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref runs);
            if (Hangs)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return new HealthCheckResult(Status);
        }
    }
}
