using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Reflection.V1Alpha;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;

namespace Mesh.Gateway.Tests;

/// <summary>Rate limits, hostile input, the admin surface, reflection and the OpenAPI document.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ProtectionTests(GatewayFixture fixture)
{
    [Fact]
    public async Task ListItems_OverTheRateLimit_IsResourceExhaustedWithRetryInfo_AndRest429WithRetryAfter()
    {
        // limited-client: a bucket of 2, refilled at 0.2/s, per method.
        var token = fixture.Issuer.Token(GatewayFixture.Limited, "masterdata.items.read", "charges.read");
        var items = new ItemService.ItemServiceClient(fixture.Channel(token));
        await items.ListItemsAsync(new ListItemsRequest { PageSize = 1 });
        await items.ListItemsAsync(new ListItemsRequest { PageSize = 1 });

        var refused = await Assert.ThrowsAsync<RpcException>(() => items.ListItemsAsync(new ListItemsRequest { PageSize = 1 }).ResponseAsync);
        using var rest = await fixture.Rest(token).GetAsync("/v1/items?pageSize=1");
        // Another method has a bucket of its own.
        var charges = await new ChargeService.ChargeServiceClient(fixture.Channel(token)).ListChargesAsync(new ListChargesRequest { PageSize = 1 });

        var details = Google.Rpc.Status.Parser.ParseFrom(refused.Trailers.GetValueBytes("grpc-status-details-bin"));
        var retry = details.Details.Single().Unpack<Google.Rpc.RetryInfo>();
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.InRange(retry.RetryDelay.ToTimeSpan(), TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(5));
        Assert.Equal((HttpStatusCode)429, rest.StatusCode);
        Assert.InRange(int.Parse(rest.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 5);
        Assert.NotNull(charges);
        await Audit.WaitForAsync(fixture, e => e.Client == GatewayFixture.Limited && e.Status == "RESOURCE_EXHAUSTED");
    }

    [Fact]
    public async Task OversizedMessage_IsResourceExhausted_AndTheGatewayStaysUp()
    {
        var token = fixture.Issuer.Token(GatewayFixture.Billing, "masterdata.items.read");
        var items = new ItemService.ItemServiceClient(fixture.Channel(token));

        var refused = await Assert.ThrowsAsync<RpcException>(() => items.ListItemsAsync(new ListItemsRequest { Category = new string('x', 10_000) }).ResponseAsync);
        var after = await items.ListItemsAsync(new ListItemsRequest { PageSize = 1 });

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.NotNull(after);
    }

    [Fact]
    public async Task DeeplyNestedUnknownFields_AreRefusedPrecisely_AndTheGatewayStaysUp()
    {
        var token = fixture.Issuer.Token(GatewayFixture.Billing, "masterdata.items.read");
        // 200 nested groups of an unknown field: more than protobuf's recursion limit of 100.
        var body = new List<byte>();
        for (var i = 0; i < 200; i++)
        {
            body.Add((15 << 3) | 3);
        }

        for (var i = 0; i < 200; i++)
        {
            body.Add((15 << 3) | 4);
        }

        var call = fixture.Channel(token).CreateCallInvoker().AsyncUnaryCall(
            new Method<byte[], byte[]>(MethodType.Unary, "mesh.masterdata.v1.ItemService", "ListItems", Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b)),
            null, default, [.. body]);

        var refused = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        var after = await new ItemService.ItemServiceClient(fixture.Channel(token)).ListItemsAsync(new ListItemsRequest { PageSize = 1 });

        Assert.Equal((StatusCode.InvalidArgument, "the request message could not be parsed (malformed, or nested too deeply)"), (refused.StatusCode, refused.Status.Detail));
        Assert.NotNull(after);
    }

    [Theory]
    [InlineData("/v1/items?pageSize=abc", "")]
    [InlineData("/v1/items?noSuchField=1", "noSuchField")]
    [InlineData("/v1/items?pageSize=-5", "page_size")]
    public async Task Rest_MalformedOrUnknownQuery_Is400NamingTheField(string path, string named)
    {
        using var rest = await fixture.Rest(fixture.Issuer.Token(GatewayFixture.Billing, "masterdata.items.read")).GetAsync(path);
        var body = await rest.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, rest.StatusCode);
        Assert.Equal(3, (int)JsonNode.Parse(body)!["code"]!);
        Assert.Contains(named, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditLog_RecordsWhoWhatResourcesOutcome_NeverFieldValues_AndIsNotOnThePartnerListener()
    {
        var item = await fixture.CreateItemAsync("suppliers/acme");
        var token = fixture.Issuer.Token(GatewayFixture.SupplierAcme, "masterdata.items.read");
        await new ItemService.ItemServiceClient(fixture.Channel(token)).GetItemAsync(new GetItemRequest { Name = item.Name });

        var entry = await Audit.WaitForAsync(fixture, e => e.Client == GatewayFixture.SupplierAcme && e.Resources.Contains(item.Name));
        using var fromPartnerSide = await fixture.Rest(token).GetAsync("/admin/v1/audit");
        using var admin = new HttpClient { BaseAddress = fixture.AdminAddress };
        var raw = await admin.GetStringAsync($"/admin/v1/audit?client={GatewayFixture.SupplierAcme}&limit=1000");

        Assert.Equal(("mesh.masterdata.v1.ItemService.GetItem", "OK", "grpc"), (entry.Method, entry.Status, entry.Protocol));
        Assert.True(entry.LatencyMicroseconds > 0);
        Assert.Equal(HttpStatusCode.NotFound, fromPartnerSide.StatusCode);
        Assert.DoesNotContain(item.Description, raw, StringComparison.Ordinal);
        Assert.DoesNotContain("MRN-", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reflection_ListsOnlyThePartnerSurface()
    {
        var reflection = new ServerReflection.ServerReflectionClient(fixture.Channel(fixture.Issuer.Token(GatewayFixture.Billing)));
        using var call = reflection.ServerReflectionInfo();

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "mesh.masterdata.v1.ItemService" });
        await call.RequestStream.CompleteAsync();
        var responses = new List<ServerReflectionResponse>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            responses.Add(call.ResponseStream.Current);
        }

        var services = responses[0].ListServicesResponse.Service.Select(s => s.Name).ToList();
        var files = responses[1].FileDescriptorResponse.FileDescriptorProto.Select(b => Google.Protobuf.Reflection.FileDescriptorProto.Parser.ParseFrom(b)).ToList();
        var itemService = files.SelectMany(f => f.Service).Single(s => s.Name == "ItemService");
        Assert.Contains("mesh.masterdata.v1.ItemService", services);
        Assert.Contains("mesh.charges.v1.ChargeService", services);
        Assert.DoesNotContain(services, s => s.StartsWith("mesh.finance", StringComparison.Ordinal));
        Assert.Equal(["GetItem", "ListItems"], itemService.Method.Select(m => m.Name));
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheRestSurface_ReadsAndTheInvoicePost()
    {
        var document = JsonNode.Parse(await fixture.Rest().GetStringAsync("/openapi/v1.json"))!;

        var paths = document["paths"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("/v1/items", paths);
        Assert.Contains("/v1/charges", paths);
        Assert.Contains(paths, p => p.StartsWith("/v1/items/", StringComparison.Ordinal));
        Assert.Contains("/v1/purchaseOrders/{purchaseOrdersId}", paths);
        var create = document["paths"]!["/v1/supplierInvoices"]!["post"]!;
        Assert.Equal("#/components/schemas/mesh.procurement.v1.SupplierInvoice", (string)create["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]!);
        Assert.Equal("procurement.supplier_invoices.write", (string)create["security"]![0]!["partnerToken"]![0]!);
    }

    [Fact]
    public async Task Rest_MalformedJsonBody_Is400()
    {
        using var rest = fixture.Rest(fixture.Issuer.Token(GatewayFixture.Billing, "masterdata.items.read"));

        using var response = await rest.PostAsync("/v1/items", new StringContent("{\"item\": {", Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotFound, $"{response.StatusCode}");
    }
}
