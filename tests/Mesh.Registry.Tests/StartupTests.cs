using System.Diagnostics;
using Mesh.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Mesh.Registry.Tests;

/// <summary>Settings the registry must not run with are refused before it serves anything.</summary>
public sealed class StartupTests
{
    private static readonly Dictionary<string, string?> DevToken = new()
    {
        ["ConnectionStrings:registry"] = "127.0.0.1:1",
        ["Registry:Auth:Tokens:0:Token"] = "my-own-secret",
        ["Registry:Auth:Tokens:1:Token"] = "dev-reader-token",
    };

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void AddRegistry_DevTokenOutsideDevelopment_IsRefusedNamingTheSetting(string environment)
    {
        var builder = Builder(environment, DevToken);

        var error = Assert.Throws<RegistryConfigurationException>(() => builder.AddRegistry());

        Assert.StartsWith("Registry:Auth:Tokens:1:Token is a published development token", error.Message, StringComparison.Ordinal);
        Assert.Contains($"(it is {environment})", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("dev-reader-token", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddRegistry_DevTokenInDevelopment_IsAccepted()
    {
        var builder = Builder(Environments.Development, DevToken);

        builder.AddRegistry();
    }

    [Fact]
    public void AddRegistry_NonPositiveAuditLength_IsRefused()
    {
        var builder = Builder(Environments.Production, new() { ["ConnectionStrings:registry"] = "127.0.0.1:1", ["Registry:Audit:MaxEntries"] = "0" });

        var error = Assert.Throws<RegistryConfigurationException>(() => builder.AddRegistry());

        Assert.Contains("Registry:Audit:MaxEntries", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RegistryProcess_DevTokenInProduction_ExitsOneWithOneLine()
    {
        var assembly = Repository.BuiltAssembly("registry/Mesh.Registry", "Mesh.Registry");
        var start = new ProcessStartInfo("dotnet", [assembly])
        {
            WorkingDirectory = Path.GetDirectoryName(assembly)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = null;
        start.Environment["Registry__Auth__Tokens__0__Token"] = "dev-architect-token";
        start.Environment["APP_API_TOKEN"] = "registry-app-token";
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);

        var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1, process.ExitCode);
        Assert.Equal("", await stdout);
        Assert.StartsWith("mesh-registry: Registry:Auth:Tokens:0:Token is a published development token", Assert.Single(lines), StringComparison.Ordinal);
    }

    private static HostApplicationBuilder Builder(string environment, Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = environment });
        builder.Configuration.AddInMemoryCollection(settings);
        return builder;
    }
}
