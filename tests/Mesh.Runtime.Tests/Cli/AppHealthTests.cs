using System.Net;
using System.Net.Sockets;
using Mesh.Runtime.Hosting;
using Mesh.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Mesh.Runtime.Tests.Cli;

/// <summary>Waiting for an app to answer before deliveries start.</summary>
public sealed class AppHealthTests
{
    private readonly CapturedOutput output = new();

    [Fact]
    public async Task WaitAsync_PortOpensLater_TrueOnceItAccepts()
    {
        var port = Mesh.Runtime.LoopbackPorts.Free();
        var app = TestApps.Spec("orders", appPort: port);
        using var listener = new TcpListener(IPAddress.Loopback, port);

        var waiting = AppHealth.WaitAsync(app, TimeSpan.FromSeconds(20), output.Writer, CancellationToken.None);
        await Task.Delay(600);
        var answeredEarly = waiting.IsCompleted;
        listener.Start();

        Assert.True(await waiting);
        Assert.False(answeredEarly);
        Assert.StartsWith($"mesh: app 'orders' answers on 127.0.0.1:{port} (", Assert.Single(output.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitAsync_NothingListens_FalseOnceTheTimeoutPassedOnItsClock_TellingProgressEveryTenSeconds()
    {
        var app = TestApps.Spec("orders", appPort: Mesh.Runtime.LoopbackPorts.Free());
        var start = DateTimeOffset.UnixEpoch;
        var clock = new ArmedTimersClock(start);

        // A minute of probes every 250 ms passes on the fake clock only.
        var waiting = AppHealth.WaitAsync(app, TimeSpan.FromMinutes(1), output.Writer, CancellationToken.None, clock);
        await clock.AdvanceEachArmedAsync(TimeSpan.FromMilliseconds(250), waiting, TimeSpan.FromSeconds(30));

        Assert.False(await waiting);
        Assert.Equal(TimeSpan.FromMinutes(1), clock.GetUtcNow() - start);
        Assert.Equal([10, 20, 30, 40, 50], output.Lines.Select(l => int.Parse(l.Split('(')[1].Split('s')[0], System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task WaitAsync_HealthCheckEnabled_WaitsForA2xxFromTheHealthPath()
    {
        var port = Mesh.Runtime.LoopbackPorts.Free();
        var calls = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var web = builder.Build();
        web.MapGet("/custom/health", () => Interlocked.Increment(ref calls) < 3 ? Results.StatusCode(503) : Results.Ok());
        await web.StartAsync();
        var app = TestApps.Spec("orders", appPort: port, healthCheck: true, healthPath: "/custom/health");

        var answered = await AppHealth.WaitAsync(app, TimeSpan.FromSeconds(20), output.Writer, CancellationToken.None);

        Assert.True(answered);
        // Two 503s were not enough; a slow probe that timed out may add a call, never remove one.
        Assert.InRange(calls, 3, int.MaxValue);
        Assert.StartsWith($"mesh: app 'orders' answers on http://127.0.0.1:{port}/custom/health (", Assert.Single(output.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitAsync_H2cAppWithHealthCheck_ProbesOverHttp2()
    {
        var port = Mesh.Runtime.LoopbackPorts.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => o.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2));
        await using var web = builder.Build();
        web.MapGet("/healthz", (HttpRequest request) => request.Protocol == "HTTP/2" ? Results.Ok() : Results.StatusCode(505));
        await web.StartAsync();
        var app = TestApps.Spec("ledger", appPort: port, protocol: "h2c", healthCheck: true);

        var answered = await AppHealth.WaitAsync(app, TimeSpan.FromSeconds(20), output.Writer, CancellationToken.None);

        Assert.True(answered);
        Assert.StartsWith($"mesh: app 'ledger' answers on http://127.0.0.1:{port}/healthz (", Assert.Single(output.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WaitAsync_Cancelled_Throws()
    {
        var app = TestApps.Spec("orders", appPort: Mesh.Runtime.LoopbackPorts.Free());
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AppHealth.WaitAsync(app, TimeSpan.FromSeconds(20), output.Writer, cancel.Token));
    }
}
