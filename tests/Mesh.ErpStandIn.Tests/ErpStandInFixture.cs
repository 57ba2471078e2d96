using System.Diagnostics;
using System.Net.Http.Json;
using Mesh.Testing;

namespace Mesh.ErpStandIn.Tests;

/// <summary>The ERP stand-in as a real process on a free loopback port.</summary>
public sealed class ErpStandInFixture : IAsyncLifetime
{
    private Process process = null!;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var port = RedisServer.FreePort();
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var app = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../services/erp-standin/Mesh.ErpStandIn/bin", configuration, "net10.0/Mesh.ErpStandIn.dll"));
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(app)! };
        // appsettings.json pins Kestrel:Endpoints (which beats --urls), so the port is set through the same key.
        foreach (var argument in new[] { app, $"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(argument);
        }

        process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        for (var i = 0; i < 200; i++)
        {
            try
            {
                if ((await Http.GetAsync("/alive")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the ERP stand-in did not start");
    }

    public async Task SetChaosAsync(string mode, int delayMs = 0) =>
        (await Http.PutAsJsonAsync("/erp/admin/chaos", new { mode, delayMs })).EnsureSuccessStatusCode();

    public async Task DisposeAsync()
    {
        Http.Dispose();
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }
}
