using Google.Rpc;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;

namespace Mesh.MasterData.Tests;

/// <summary>The service defaults check the contract's field constraints before master data's own rules run.</summary>
public sealed class ContractValidationTests(MasterDataFixture fixture) : IClassFixture<MasterDataFixture>
{
    [Fact]
    public async Task CreateItem_GtinOfTwoDigits_IsInvalidArgumentWithBadRequestNamingItemGtinAndTheRule()
    {
        var description = $"Gauze {Guid.NewGuid():N}";
        var refused = await Assert.ThrowsAsync<RpcException>(() => fixture.Items.CreateItemAsync(new CreateItemRequest
        {
            Item = new Item { Description = description, StockingUnit = "EA", Gtin = "12" },
        }).ResponseAsync);

        var details = Google.Rpc.Status.Parser.ParseFrom(refused.Trailers.GetValueBytes("grpc-status-details-bin"));
        var violation = Assert.Single(details.Details.Single().Unpack<BadRequest>().FieldViolations);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal(("item.gtin", "string.format.gtin"), (violation.Field, violation.Reason));
        Assert.DoesNotContain("'12'", refused.Status.Detail, StringComparison.Ordinal);
        var listed = await fixture.Items.ListItemsAsync(new ListItemsRequest { PageSize = 1000 });
        Assert.DoesNotContain(listed.Items, i => i.Description == description);
    }

    [Fact]
    public async Task CreateItem_UnknownCurrencyAndBadRevenueCode_NamesEveryField()
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => fixture.Items.CreateItemAsync(new CreateItemRequest
        {
            Item = new Item { Description = "Suture", StockingUnit = "EA", RevenueCode = "27", StandardCost = new Money { CurrencyCode = "DOLLARS", Units = 1 } },
        }).ResponseAsync);

        var details = Google.Rpc.Status.Parser.ParseFrom(refused.Trailers.GetValueBytes("grpc-status-details-bin"));
        Assert.Equal(
            ["item.revenue_code", "item.standard_cost.currency_code"],
            details.Details.Single().Unpack<BadRequest>().FieldViolations.Select(f => f.Field));
    }

    [Fact]
    public async Task CreateItem_ValidGtin_IsAccepted()
    {
        var created = await fixture.Items.CreateItemAsync(new CreateItemRequest
        {
            Item = new Item { Description = "Sponge", StockingUnit = "EA", Gtin = "96385074" },
        });

        Assert.Equal("96385074", created.Gtin);
    }
}
