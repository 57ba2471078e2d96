using System.Net;
using Mesh.Runtime.Components;
using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar;
using Mesh.Runtime.Tests.Components;
using Mesh.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary><c>/v1.0/healthz</c> and <c>/v1.0/healthz/outbound</c> over a real Redis that the test stops.</summary>
public sealed class SidecarHealthTests : IAsyncLifetime
{
    private readonly HttpClient http = new();
    private RedisServer? redis;
    private IStateStore store = null!;
    private WebApplication app = null!;
    private DaprSidecar sidecar = null!;

    public async Task InitializeAsync()
    {
        redis = await RedisServer.StartAsync();
        store = ComponentFactory.CreateStateStore(TestComponents.Define("statestore", "state.redis", ("redisHost", redis.ConnectionString)));
        var port = LoopbackPorts.Free();
        app = LoopbackApp.CreateBuilder(HttpProtocols.Http1, port).Build();
        app.MapGet("/dapr/subscribe", () => Results.Json(Array.Empty<object>()));
        await app.StartAsync();
        var directory = new AppDirectory();
        directory.Register(new AppEndpoint("shop", "127.0.0.1", port, "http"));
        sidecar = await DaprSidecar.StartAsync(
            new SidecarSettings(directory.Find("shop")!, 0, 0, new Dictionary<string, IStateStore> { ["statestore"] = store }, new Dictionary<string, IPubSub>(), [], ResiliencySpec.None, directory),
            NullLoggerFactory.Instance,
            CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await sidecar.DisposeAsync();
        await app.DisposeAsync();
        await store.DisposeAsync();
        if (redis is not null)
        {
            await redis.DisposeAsync();
        }
    }

    [Fact]
    public async Task Healthz_NotReadyUntilTheAppsDeliveriesStart_OutboundReadyAtOnce()
    {
        await WaitForAsync("/v1.0/healthz/outbound", HttpStatusCode.NoContent);
        var before = await http.GetAsync(Url("/v1.0/healthz"));

        await sidecar.StartDeliveriesAsync(CancellationToken.None);

        Assert.Equal(HttpStatusCode.InternalServerError, before.StatusCode);
        Assert.Contains("ERR_HEALTH_NOT_READY", await before.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, (await http.GetAsync(Url("/v1.0/healthz"))).StatusCode);
    }

    [Fact]
    public async Task Healthz_RedisStopped_BothReportTheComponent()
    {
        await sidecar.StartDeliveriesAsync(CancellationToken.None);
        await WaitForAsync("/v1.0/healthz", HttpStatusCode.NoContent);

        await redis!.DisposeAsync();
        redis = null;

        var outbound = await WaitForAsync("/v1.0/healthz/outbound", HttpStatusCode.InternalServerError);
        var health = await http.GetAsync(Url("/v1.0/healthz"));
        Assert.Contains("components not ready: statestore", outbound, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.InternalServerError, health.StatusCode);
    }

    private string Url(string path) => $"http://127.0.0.1:{sidecar.HttpPort}{path}";

    private async Task<string> WaitForAsync(string path, HttpStatusCode expected)
    {
        for (var i = 0; i < 300; i++)
        {
            using var response = await http.GetAsync(Url(path));
            if (response.StatusCode == expected)
            {
                return await response.Content.ReadAsStringAsync();
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{path} never answered {expected}");
    }
}
