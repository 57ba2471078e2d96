using System.Net;
using System.Text.Json.Nodes;
using Grpc.Core;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Gateway.Auditing;

namespace Mesh.Gateway.Tests;

/// <summary>Authentication comes before anything else, and a token only opens the methods its scopes name.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AuthenticationTests(GatewayFixture fixture)
{
    [Fact]
    public async Task GetItem_NoToken_IsUnauthenticatedAndAudited()
    {
        var item = await fixture.CreateItemAsync("suppliers/acme");
        var items = new ItemService.ItemServiceClient(fixture.Channel());

        var refused = await Assert.ThrowsAsync<RpcException>(() => items.GetItemAsync(new GetItemRequest { Name = item.Name }).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains("bearer token is required", refused.Status.Detail, StringComparison.Ordinal);
        var entry = await Audit.WaitForAsync(fixture, e => e.Client == AuditEntry.Anonymous && e.Method == "mesh.masterdata.v1.ItemService.GetItem" && e.Status == "UNAUTHENTICATED");
        Assert.Equal("grpc", entry.Protocol);
    }

    [Theory]
    [InlineData("expired", "has expired")]
    [InlineData("wrong-issuer", "issuer is not trusted")]
    [InlineData("wrong-audience", "audience")]
    [InlineData("wrong-signature", "signature does not verify")]
    [InlineData("alg-none", "bearer token")]
    [InlineData("garbage", "not a valid access token")]
    public async Task GetItem_BadToken_IsUnauthenticatedWithoutEchoingIt(string kind, string reason)
    {
        var token = fixture.Issuer.BadToken(kind, GatewayFixture.SupplierAcme, "masterdata.items.read");
        var items = new ItemService.ItemServiceClient(fixture.Channel(token));

        var refused = await Assert.ThrowsAsync<RpcException>(() => items.GetItemAsync(new GetItemRequest { Name = "items/any" }).ResponseAsync);
        using var rest = await fixture.Rest(token).GetAsync("/v1/items/any");
        var body = await rest.Content.ReadAsStringAsync();

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains(reason, refused.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(token, refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, rest.StatusCode);
        Assert.Equal(16, (int)JsonNode.Parse(body)!["code"]!);
        Assert.DoesNotContain(token, body, StringComparison.Ordinal);
        Assert.DoesNotContain("items/any", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyMethod_NoToken_IsUnauthenticated_EvenOutsideThePartnerSurfaceAndWithAGarbledBody()
    {
        var channel = fixture.Channel();
        var create = new ItemService.ItemServiceClient(channel).CreateItemAsync(new CreateItemRequest { Item = new Item { Gtin = "12" } });
        var journal = channel.CreateCallInvoker().AsyncUnaryCall(
            new Method<byte[], byte[]>(MethodType.Unary, "mesh.finance.v1.JournalEntryService", "ListJournalEntries", Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b)),
            null, default, [0xff, 0xff, 0xff]);

        var refusedCreate = await Assert.ThrowsAsync<RpcException>(() => create.ResponseAsync);
        var refusedJournal = await Assert.ThrowsAsync<RpcException>(() => journal.ResponseAsync);

        Assert.Equal((StatusCode.Unauthenticated, StatusCode.Unauthenticated), (refusedCreate.StatusCode, refusedJournal.StatusCode));
    }

    [Fact]
    public async Task NonPartnerMethod_WithToken_IsUnimplemented()
    {
        var items = new ItemService.ItemServiceClient(fixture.Channel(fixture.Issuer.Token(GatewayFixture.SupplierAcme, "masterdata.items.read", "masterdata.items.write")));

        var refused = await Assert.ThrowsAsync<RpcException>(() => items.CreateItemAsync(new CreateItemRequest { Item = new Item { Description = "x", StockingUnit = "EA" } }).ResponseAsync);

        Assert.Equal(StatusCode.Unimplemented, refused.StatusCode);
    }

    [Fact]
    public async Task GetItem_ScopeForAnotherMethod_IsPermissionDeniedNamingTheScope()
    {
        var item = await fixture.CreateItemAsync("suppliers/acme");
        var token = fixture.Issuer.Token(GatewayFixture.Billing, "charges.read");
        var items = new ItemService.ItemServiceClient(fixture.Channel(token));

        var refused = await Assert.ThrowsAsync<RpcException>(() => items.GetItemAsync(new GetItemRequest { Name = item.Name }).ResponseAsync);
        using var rest = await fixture.Rest(token).GetAsync($"/v1/{item.Name}");

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Equal("mesh.masterdata.v1.ItemService.GetItem needs the scope masterdata.items.read", refused.Status.Detail);
        Assert.Equal(HttpStatusCode.Forbidden, rest.StatusCode);
        await Audit.WaitForAsync(fixture, e => e.Client == GatewayFixture.Billing && e.Status == "PERMISSION_DENIED" && e.Method == "mesh.masterdata.v1.ItemService.GetItem");
    }

    [Fact]
    public async Task ListCharges_TokenOfAClientThatIsNoPartner_IsPermissionDenied()
    {
        var charges = new ChargeService.ChargeServiceClient(fixture.Channel(fixture.Issuer.Token("stranger", "charges.read")));

        var refused = await Assert.ThrowsAsync<RpcException>(() => charges.ListChargesAsync(new ListChargesRequest()).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
    }
}
