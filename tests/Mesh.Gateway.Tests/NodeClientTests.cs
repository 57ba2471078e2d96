using System.Text.Json.Nodes;

namespace Mesh.Gateway.Tests;

/// <summary>A real external client no one here wrote: Node.js with the stock @grpc/grpc-js, calling the gateway with a token.</summary>
[Collection(GatewayCollection.Name)]
public sealed class NodeClientTests(GatewayFixture fixture)
{
    private static readonly string Script = Path.Combine(Processes.Root, "services/gateway/clients/node/get-item.mjs");

    [Fact]
    public async Task GrpcJs_GetItemWithToken_ReadsTheItem()
    {
        var item = await fixture.CreateItemAsync("suppliers/acme");
        var token = fixture.Issuer.Token(GatewayFixture.SupplierAcme, "masterdata.items.read");

        var (code, output) = await NodeAsync(token, item.Name);

        Assert.True(code == 0, output);
        var read = JsonNode.Parse(output)!;
        Assert.Equal((item.Name, item.Description), ((string)read["name"]!, (string)read["description"]!));
    }

    [Fact]
    public async Task GrpcJs_NoToken_GetsUnauthenticated()
    {
        var (code, output) = await NodeAsync("", "items/anything");

        Assert.Equal(3, code);
        Assert.Equal(16, (int)JsonNode.Parse(output)!["code"]!);
    }

    [Fact]
    public async Task GrpcJs_ListItems_SeesOnlyThePartnersItems()
    {
        var mine = await fixture.CreateItemAsync("suppliers/globex");
        var theirs = await fixture.CreateItemAsync("suppliers/acme");

        var (code, output) = await NodeAsync(fixture.Issuer.Token(GatewayFixture.SupplierGlobex, "masterdata.items.read"), "--list");

        Assert.True(code == 0, output);
        var names = JsonNode.Parse(output)!["items"]!.AsArray().Select(i => (string)i!["name"]!).ToList();
        Assert.Contains(mine.Name, names);
        Assert.DoesNotContain(theirs.Name, names);
    }

    private Task<(int Code, string Output)> NodeAsync(string token, string name) =>
        File.Exists(Path.Combine(Processes.Root, "node_modules/@grpc/grpc-js/package.json"))
            ? Processes.RunAsync("node", [Script, $"127.0.0.1:{fixture.PartnerAddress.Port}", token, name])
            : throw new InvalidOperationException("node_modules lacks @grpc/grpc-js: run `npm ci` at the repository root first");
}
