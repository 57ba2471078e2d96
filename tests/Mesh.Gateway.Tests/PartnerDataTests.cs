using System.Net;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client.Web;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;

namespace Mesh.Gateway.Tests;

/// <summary>Partners see their own data, and only what the minimum-necessary rule lets them see.</summary>
[Collection(GatewayCollection.Name)]
public sealed class PartnerDataTests(GatewayFixture fixture)
{
    private const string Mrn = "MRN-774411";

    [Fact]
    public async Task GetItem_SupplierReadsItsOwnItem_OverGrpcRestAndGrpcWeb()
    {
        var item = await fixture.CreateItemAsync("suppliers/acme");
        var token = fixture.Issuer.Token(GatewayFixture.SupplierAcme, "masterdata.items.read");

        var grpc = await new ItemService.ItemServiceClient(fixture.Channel(token)).GetItemAsync(new GetItemRequest { Name = item.Name });
        var web = await new ItemService.ItemServiceClient(fixture.Channel(token, new GrpcWebHandler(GrpcWebMode.GrpcWebText, new HttpClientHandler()))).GetItemAsync(new GetItemRequest { Name = item.Name });
        var rest = JsonNode.Parse(await fixture.Rest(token).GetStringAsync($"/v1/{item.Name}"))!;

        Assert.Equal(item, grpc);
        Assert.Equal(item, web);
        Assert.Equal((item.Name, item.Description), ((string)rest["name"]!, (string)rest["description"]!));
    }

    [Fact]
    public async Task GetItem_AnotherSuppliersItem_IsNotFoundLikeAMissingOne()
    {
        var theirs = await fixture.CreateItemAsync("suppliers/globex");
        var items = new ItemService.ItemServiceClient(fixture.Channel(fixture.Issuer.Token(GatewayFixture.SupplierAcme, "masterdata.items.read")));

        var foreign = await Assert.ThrowsAsync<RpcException>(() => items.GetItemAsync(new GetItemRequest { Name = theirs.Name }).ResponseAsync);
        var missing = await Assert.ThrowsAsync<RpcException>(() => items.GetItemAsync(new GetItemRequest { Name = "items/no-such-item" }).ResponseAsync);

        Assert.Equal((StatusCode.NotFound, $"{theirs.Name} does not exist"), (foreign.StatusCode, foreign.Status.Detail));
        Assert.Equal((StatusCode.NotFound, "items/no-such-item does not exist"), (missing.StatusCode, missing.Status.Detail));
    }

    [Fact]
    public async Task ListItems_Supplier_SeesOnlyItsItems_AndAnotherSuppliersFilterReadsEmpty()
    {
        var mine = await fixture.CreateItemAsync("suppliers/acme");
        var shared = await fixture.CreateItemAsync("suppliers/globex", alsoBy: "suppliers/acme");
        var theirs = await fixture.CreateItemAsync("suppliers/globex");
        var items = new ItemService.ItemServiceClient(fixture.Channel(fixture.Issuer.Token(GatewayFixture.SupplierAcme, "masterdata.items.read")));

        var listed = await items.ListItemsAsync(new ListItemsRequest { PageSize = 1000 });
        var askedForGlobex = await items.ListItemsAsync(new ListItemsRequest { PageSize = 1000, Supplier = "suppliers/globex" });

        Assert.Contains(listed.Items, i => i.Name == mine.Name);
        Assert.Contains(listed.Items, i => i.Name == shared.Name);
        Assert.DoesNotContain(listed.Items, i => i.Name == theirs.Name);
        Assert.All(listed.Items, i => Assert.Contains(i.SupplierPartNumbers, s => s.Supplier == "suppliers/acme"));
        Assert.Empty(askedForGlobex.Items);
    }

    [Fact]
    public async Task ListCharges_BillingPartnerWithoutPhiRead_NeverSeesThePatient_OverGrpcAndRest()
    {
        var charge = await CreateChargeAsync();
        var token = fixture.Issuer.Token(GatewayFixture.Billing, "charges.read");

        var listed = await new ChargeService.ChargeServiceClient(fixture.Channel(token)).ListChargesAsync(new ListChargesRequest { Item = charge.Item });
        var got = await new ChargeService.ChargeServiceClient(fixture.Channel(token)).GetChargeAsync(new GetChargeRequest { Name = charge.Name });
        var rest = await fixture.Rest(token).GetStringAsync($"/v1/charges?item={charge.Item}");

        var projected = Assert.Single(listed.Charges);
        Assert.Equal((null, null, "", ""), (projected.Patient, projected.ServiceTime, projected.ClinicalOrderId, projected.OrderingClinicianId));
        Assert.Equal((charge.Name, charge.Item, charge.TotalAmount), (projected.Name, projected.Item, projected.TotalAmount));
        Assert.Null(got.Patient);
        Assert.DoesNotContain(Mrn, rest, StringComparison.Ordinal);
        Assert.DoesNotContain("ORD-31337", rest, StringComparison.Ordinal);
        Assert.Contains(charge.Name, rest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCharge_WithPhiRead_SeesThePatient_ButNotCliniciansWithoutPiiRead()
    {
        var charge = await CreateChargeAsync();
        var charges = new ChargeService.ChargeServiceClient(fixture.Channel(fixture.Issuer.Token(GatewayFixture.Billing, "charges.read", "phi.read")));

        var got = await charges.GetChargeAsync(new GetChargeRequest { Name = charge.Name });

        Assert.Equal((Mrn, "ORD-31337", ""), (got.Patient.Mrn, got.ClinicalOrderId, got.OrderingClinicianId));
    }

    [Fact]
    public async Task ListItems_GtinWithoutCheckDigit_IsInvalidArgumentWithBadRequest_OverGrpcAndRest()
    {
        var token = fixture.Issuer.Token(GatewayFixture.Billing, "masterdata.items.read");

        var refused = await Assert.ThrowsAsync<RpcException>(() => new ItemService.ItemServiceClient(fixture.Channel(token)).ListItemsAsync(new ListItemsRequest { Gtin = "12" }).ResponseAsync);
        using var rest = await fixture.Rest(token).GetAsync("/v1/items?gtin=12");
        var body = JsonNode.Parse(await rest.Content.ReadAsStringAsync())!;

        var details = Google.Rpc.Status.Parser.ParseFrom(refused.Trailers.GetValueBytes("grpc-status-details-bin"));
        var violation = Assert.Single(details.Details.Single().Unpack<Google.Rpc.BadRequest>().FieldViolations);
        Assert.Equal((StatusCode.InvalidArgument, "gtin", "string.format.gtin"), (refused.StatusCode, violation.Field, violation.Reason));
        Assert.Equal(HttpStatusCode.BadRequest, rest.StatusCode);
        Assert.Equal(3, (int)body["code"]!);
        Assert.Contains("gtin", (string)body["message"]!, StringComparison.Ordinal);
    }

    private async Task<PatientCharge> CreateChargeAsync()
    {
        var item = await fixture.CreateItemAsync("suppliers/acme");
        return await fixture.DirectCharges.CreateChargeAsync(new CreateChargeRequest
        {
            Charge = new PatientCharge
            {
                Patient = new PatientReference { Mrn = Mrn, MrnSystem = "urn:oid:1.2.840.114350", EncounterId = "ENC-5521" },
                Item = item.Name,
                Quantity = Quantity.Of(2m, "EA"),
                ServiceTime = Timestamp.FromDateTime(new DateTime(2026, 3, 14, 9, 30, 0, DateTimeKind.Utc)),
                OrderingClinicianId = "dr.house",
                ClinicalOrderId = "ORD-31337",
            },
        });
    }
}
