using Grpc.Core;
using Grpc.Net.Client;
using Mesh.Contracts.MasterData.V1;
using Mesh.Runtime;
using Mesh.Testing;
using Mesh.Testing.Apps;

namespace Mesh.Gateway.Tests;

/// <summary>The gateway's real Program as a process: what it refuses to start with, and the dev issuer of `mesh token`.</summary>
public sealed class StartupTests
{
    private static readonly string GatewayAssembly = EdgeApps.GatewayAssembly;
    private static readonly string TokenAssembly = Repository.BuiltAssembly("runtime/Mesh.Token", "mesh-token");

    [Theory]
    [InlineData("Production", "Gateway:Authentication:DevIssuer")]
    [InlineData("Staging", "Gateway:Authentication:DevIssuer")]
    public async Task Start_DevIssuerOutsideDevelopment_ExitsWithOneLine(string environment, string named)
    {
        var (code, output) = await RunToExitAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = environment,
            ["Gateway__Authentication__DevIssuer"] = "true",
        });

        Assert.Equal(1, code);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"mesh-gateway: {named}", line, StringComparison.Ordinal);
        Assert.Contains(environment, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_DevKeyFileOutsideDevelopment_ExitsWithOneLine()
    {
        var (code, output) = await RunToExitAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Gateway__Authentication__Authority"] = "https://login.example.test",
            ["Gateway__Authentication__DevKeyFile"] = "/tmp/dev-key.json",
        });

        Assert.Equal((1, "mesh-gateway: Gateway:Authentication:DevKeyFile names a dev signing key, accepted only when ASPNETCORE_ENVIRONMENT is Development (it is Production)"), (code, output.Trim()));
    }

    [Fact]
    public async Task Start_NoIssuerTrusted_ExitsWithOneLine()
    {
        var (code, output) = await RunToExitAsync(new Dictionary<string, string?> { ["ASPNETCORE_ENVIRONMENT"] = "Production" });

        Assert.Equal((1, "mesh-gateway: Gateway:Authentication trusts no issuer: set Authority, or JwksFile with Issuer (or DevIssuer in Development)"), (code, output.Trim()));
    }

    [Fact]
    public async Task MeshToken_InDevelopment_MintsATokenTheGatewayTrusts_AndScopesStillApply()
    {
        var folder = Directory.CreateTempSubdirectory("mesh-dev-issuer-").FullName;
        try
        {
            var keyFile = Path.Combine(folder, "signing-key.json");
            var (tokenCode, token) = await RunAsync(TokenAssembly, ["--client", "supplier-acme", "--scope", "masterdata.items.read", "--key-file", keyFile], new Dictionary<string, string?>());
            var (_, wrongScope) = await RunAsync(TokenAssembly, ["--client", "supplier-acme", "--scope", "procurement.invoices.write", "--key-file", keyFile], new Dictionary<string, string?>());
            await using var redis = await RedisServer.StartAsync();
            var port = LoopbackPorts.Free();
            // The gateway alone, without a sidecar: APP_ID says which of its endpoints is the app port (dapr.yaml's).
            await using var gateway = await ChildApp.StartAsync(GatewayAssembly, LoopbackPorts.Free(), new Dictionary<string, string?>
            {
                ["APP_ID"] = "gateway",
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                ["ConnectionStrings__gateway"] = redis.ConnectionString,
                ["Gateway__Authentication__DevKeyFile"] = keyFile,
                ["Kestrel__Endpoints__Partner__Url"] = $"http://127.0.0.1:{port}",
                // No master data behind it: a trusted token gets as far as forwarding.
                ["DAPR_GRPC_ENDPOINT"] = $"http://127.0.0.1:{LoopbackPorts.Free()}",
            });
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
            var items = new ItemService.ItemServiceClient(channel);

            var trusted = await Assert.ThrowsAsync<RpcException>(() => items.GetItemAsync(new GetItemRequest { Name = "items/x" }, new Metadata { { "authorization", $"Bearer {token.Trim()}" } }).ResponseAsync);
            var scoped = await Assert.ThrowsAsync<RpcException>(() => items.GetItemAsync(new GetItemRequest { Name = "items/x" }, new Metadata { { "authorization", $"Bearer {wrongScope.Trim()}" } }).ResponseAsync);

            Assert.Equal(0, tokenCode);
            Assert.Equal(3, token.Trim().Split('.').Length);
            Assert.Equal(StatusCode.Unavailable, trusted.StatusCode);
            Assert.Equal("mesh.masterdata.v1.ItemService did not answer; retry later", trusted.Status.Detail);
            Assert.Equal(StatusCode.PermissionDenied, scoped.StatusCode);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task MeshToken_NoClient_ExitsTwo()
    {
        var (code, _) = await RunAsync(TokenAssembly, ["--scope", "x"], new Dictionary<string, string?>());

        Assert.Equal(2, code);
    }

    private static Task<(int Code, string Output)> RunToExitAsync(Dictionary<string, string?> environment)
    {
        // The gateway's own settings are what these tests refuse: its APP_API_TOKEN is there, as mesh run gives it.
        environment["APP_API_TOKEN"] = "gateway-app-token";
        environment["Kestrel__Endpoints__Partner__Url"] = $"http://127.0.0.1:{LoopbackPorts.Free()}";
        environment["Kestrel__Endpoints__PartnerRest__Url"] = $"http://127.0.0.1:{LoopbackPorts.Free()}";
        environment["Kestrel__Endpoints__Admin__Url"] = $"http://127.0.0.1:{LoopbackPorts.Free()}";
        return RunAsync(GatewayAssembly, [], environment);
    }

    // Runs a built assembly to its exit; stdout then stderr, for the gateway's one line.
    private static Task<(int Code, string Output)> RunAsync(string assembly, string[] arguments, Dictionary<string, string?> environment) =>
        Processes.RunAsync("dotnet", arguments.Prepend(assembly), environment, Path.GetDirectoryName(assembly));
}
