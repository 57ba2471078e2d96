using System.Net.Http.Json;
using Mesh.Testing;

namespace Mesh.ErpStandIn.Tests;

/// <summary>
/// The ERP stand-in as a real process on a free loopback port, with an APP_API_TOKEN that the tests send as its
/// sidecar would.
/// </summary>
public sealed class ErpStandInFixture : IAsyncLifetime
{
    public const string AppToken = "erp-app-token";

    private ChildApp app = null!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var port = Mesh.Runtime.LoopbackPorts.Free();
        app = await ChildApp.StartAsync(Repository.BuiltAssembly("services/erp-standin/Mesh.ErpStandIn", "Mesh.ErpStandIn"), port, new Dictionary<string, string?> { ["APP_API_TOKEN"] = AppToken });
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        Http.DefaultRequestHeaders.Add("dapr-api-token", AppToken);
    }

    public async Task SetChaosAsync(string mode, int delayMs = 0) =>
        (await Http.PutAsJsonAsync("/erp/admin/chaos", new { mode, delayMs })).EnsureSuccessStatusCode();

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await app.DisposeAsync();
    }
}
