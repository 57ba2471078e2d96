using System.Diagnostics;
using System.Net;
using Mesh.Testing;

namespace Mesh.ErpStandIn.Tests;

/// <summary>
/// The stand-in, like every Mesh app, takes calls only from its sidecar (APP_API_TOKEN), and outside Development does not
/// start without the token: one line on standard error, exit code 1.
/// </summary>
public sealed class AppTokenTests(ErpStandInFixture erp) : IClassFixture<ErpStandInFixture>
{
    [Fact]
    public async Task DirectCallWithoutTheAppToken_Is401()
    {
        using var direct = new HttpClient { BaseAddress = erp.Http.BaseAddress };

        using var response = await direct.GetAsync("/erp/admin/stats");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task ProductionWithoutAppToken_ExitsOneWithOneLine()
    {
        var assembly = Repository.BuiltAssembly("services/erp-standin/Mesh.ErpStandIn", "Mesh.ErpStandIn");
        var start = new ProcessStartInfo("dotnet", [assembly, $"--Kestrel:Endpoints:Http:Url=http://127.0.0.1:{Mesh.Runtime.LoopbackPorts.Free()}"])
        {
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = null;
        start.Environment["APP_API_TOKEN"] = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(1, process.ExitCode);
        Assert.Equal("", await stdout);
        Assert.StartsWith("Mesh.ErpStandIn: APP_API_TOKEN is not set;", Assert.Single((await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }
}
