using System.Net;
using Mesh.Runtime.Hosting;
using Mesh.Runtime.Sidecar;
using Mesh.ServiceDefaults.Dapr;
using Mesh.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Microsoft.Extensions.Hosting.Tests;

/// <summary>An app's readiness follows its sidecar: a real sidecar of the runtime, started and stopped under the app.</summary>
public sealed class DaprSidecarHealthTests : IAsyncLifetime
{
    private readonly FakeTimeProvider clock = new();
    private MeshHost host = null!;
    private DaprSidecar sidecar = null!;
    private WebApplication app = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        // A mesh of one sidecar without components, for an app whose calls need none.
        host = await MeshHost.StartAsync([MeshApp.Create("orders", 0, "http", [])]);
        sidecar = host.SidecarOf("orders");

        var builder = LoopbackApp.CreateBuilder(HttpProtocols.Http1);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DAPR_HTTP_ENDPOINT"] = $"http://127.0.0.1:{sidecar.HttpPort}",
            ["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{sidecar.GrpcPort}",
            // Outside Development an app needs its APP_API_TOKEN to start; health answers without it.
            ["APP_API_TOKEN"] = "test-app-token",
        });
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.AddServiceDefaults();
        builder.AddDaprSidecar();
        app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        http = new HttpClient { BaseAddress = LoopbackApp.AddressOf(app) };
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await app.DisposeAsync();
        await host.DisposeAsync();
    }

    [Fact]
    public async Task Health_WhileTheSidecarAnswers_IsHealthy()
    {
        using var response = await http.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Health_AfterTheSidecarStops_StaysHealthyWithinTheReuseWindowThenTurnsUnhealthy()
    {
        using (await http.GetAsync("/health"))
        {
        }

        await sidecar.DisposeAsync();
        using var withinWindow = await http.GetAsync("/health");
        clock.Advance(DaprSidecarHealthCheck.Reuse);
        using var afterWindow = await http.GetAsync("/health");
        using var alive = await http.GetAsync("/alive");

        Assert.Equal(HttpStatusCode.OK, withinWindow.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, afterWindow.StatusCode);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }
}
