using System.Text.Json.Nodes;

namespace Mesh.Gateway.Tests;

/// <summary>`buf curl`, the way the README tells a partner to try the API: gRPC with reflection, and gRPC-Web.</summary>
[Collection(GatewayCollection.Name)]
public sealed class BufCurlTests(GatewayFixture fixture)
{
    [Fact]
    public async Task BufCurl_GrpcWithReflection_GetsTheItem()
    {
        var item = await fixture.CreateItemAsync("suppliers/acme");
        var token = fixture.Issuer.Token(GatewayFixture.SupplierAcme, "masterdata.items.read");

        var (code, output) = await BufCurlAsync(
            "--protocol", "grpc", "--http2-prior-knowledge", "-H", $"authorization: Bearer {token}", "--reflect-header", "*",
            "--data", $$"""{"name":"{{item.Name}}"}""", $"{fixture.PartnerAddress}mesh.masterdata.v1.ItemService/GetItem");

        Assert.True(code == 0, output);
        Assert.Equal(item.Name, (string)JsonNode.Parse(output)!["name"]!);
    }

    [Fact]
    public async Task BufCurl_GrpcWebWithTheContractsAsSchema_GetsTheItem()
    {
        var item = await fixture.CreateItemAsync("suppliers/acme");
        var token = fixture.Issuer.Token(GatewayFixture.SupplierAcme, "masterdata.items.read");

        var (code, output) = await BufCurlAsync(
            "--schema", ".", "--protocol", "grpcweb", "-H", $"authorization: Bearer {token}",
            "--data", $$"""{"name":"{{item.Name}}"}""", $"{fixture.RestAddress}mesh.masterdata.v1.ItemService/GetItem");

        Assert.True(code == 0, output);
        Assert.Equal(item.Name, (string)JsonNode.Parse(output)!["name"]!);
    }

    [Fact]
    public async Task BufCurl_NoToken_ReportsUnauthenticated()
    {
        var (code, output) = await BufCurlAsync(
            "--schema", ".", "--protocol", "grpc", "--http2-prior-knowledge",
            "--data", """{"name":"items/x"}""", $"{fixture.PartnerAddress}mesh.masterdata.v1.ItemService/GetItem");

        Assert.NotEqual(0, code);
        Assert.Contains("unauthenticated", output, StringComparison.Ordinal);
    }

    private static Task<(int Code, string Output)> BufCurlAsync(params string[] arguments)
    {
        var buf = Path.Combine(Processes.Root, "node_modules/.bin/buf");
        return Processes.RunAsync(File.Exists(buf) ? buf : "buf", arguments.Prepend("curl"));
    }
}
