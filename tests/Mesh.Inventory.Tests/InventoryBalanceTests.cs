using Mesh.Contracts;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Type.V1;

namespace Mesh.Inventory.Tests;

public sealed class InventoryBalanceTests(InventoryFixture fixture) : IClassFixture<InventoryFixture>
{
    private InventoryService.InventoryServiceClient Inventory => fixture.Inventory;

    private static string NewLocation() => $"locations/{$"ward-{Guid.NewGuid():N}"[..15]}";

    private Task<InventoryBalance> SetLevelsAsync(string name, Quantity? par, Quantity? reorder, string etag = "", params string[] paths) =>
        Inventory.UpdateInventoryBalanceAsync(new UpdateInventoryBalanceRequest
        {
            InventoryBalance = new InventoryBalance { Name = name, ParLevel = par, ReorderPoint = reorder, Etag = etag },
            UpdateMask = new FieldMask { Paths = { paths.Length > 0 ? paths : ["par_level", "reorder_point"] } },
        }).ResponseAsync;

    private Task<StockMovement> ReceiveAsync(string location, string item, decimal quantity) =>
        Inventory.CreateStockMovementAsync(new CreateStockMovementRequest
        {
            Parent = location,
            StockMovement = new StockMovement { Type = StockMovementType.Receipt, Item = item, Delta = Quantity.Of(quantity, "EA") },
        }).ResponseAsync;

    [Fact]
    public async Task Update_OpensAMissingBalanceEmpty_ThenChangesOnlyTheMaskedLevels_WithETags()
    {
        var location = NewLocation();
        var name = $"{location}/balances/syringe-10ml";

        var opened = await SetLevelsAsync(name, Quantity.Of(40, "EA"), Quantity.Of(10, "EA"));
        var updated = await SetLevelsAsync(name, Quantity.Of(50, "EA"), null, opened.Etag, "par_level");
        var stale = await Assert.ThrowsAsync<RpcException>(() => SetLevelsAsync(name, Quantity.Of(60, "EA"), null, opened.Etag, "par_level"));
        var onHand = await Assert.ThrowsAsync<RpcException>(() => SetLevelsAsync(name, null, null, "", "on_hand"));

        Assert.Equal((0m, "EA", "items/syringe-10ml", location), (opened.OnHand.ToDecimal(), opened.OnHand.Unit, opened.Item, opened.Location));
        Assert.Equal((50m, 10m), (updated.ParLevel.ToDecimal(), updated.ReorderPoint.ToDecimal()));
        Assert.NotEqual(opened.Etag, updated.Etag);
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);
        Assert.Equal((StatusCode.InvalidArgument, true), (onHand.StatusCode, onHand.Status.Detail.Contains("'on_hand'", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Update_KeepsOnHandThatMovementsSet_AndRefusesNegativeOrForeignUnitLevels()
    {
        var location = NewLocation();
        const string Item = "items/iv-set";
        var name = $"{location}/balances/iv-set";
        await ReceiveAsync(location, Item, 7);

        var updated = await SetLevelsAsync(name, Quantity.Of(20, "EA"), Quantity.Of(5, "EA"));
        var negative = await Assert.ThrowsAsync<RpcException>(() => SetLevelsAsync(name, null, Quantity.Of(-1, "EA"), "", "reorder_point"));
        var foreign = await Assert.ThrowsAsync<RpcException>(() => SetLevelsAsync(name, Quantity.Of(2, "BX"), null, "", "par_level"));
        var noUnit = await Assert.ThrowsAsync<RpcException>(() => SetLevelsAsync($"{location}/balances/unknown", null, null));

        Assert.Equal(7m, updated.OnHand.ToDecimal());
        Assert.Equal((StatusCode.InvalidArgument, "inventory_balance.reorder_point must not be negative"), (negative.StatusCode, negative.Status.Detail));
        Assert.Equal((StatusCode.InvalidArgument, $"inventory_balance.par_level is in BX but {name} is kept in EA"), (foreign.StatusCode, foreign.Status.Detail));
        Assert.Equal(StatusCode.InvalidArgument, noUnit.StatusCode);
        Assert.Contains("inventory_balance.par_level", noUnit.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListBalances_OrdersByItem_PagesOnlyTheParent_AndFiltersBelowReorderPoint()
    {
        var location = NewLocation();
        await ReceiveAsync(NewLocation(), "items/elsewhere", 1);
        foreach (var (item, onHand) in new[] { ("c-mask", 3m), ("a-glove", 30m), ("b-drape", 5m), ("d-cap", 1m) })
        {
            await ReceiveAsync(location, $"items/{item}", onHand);
        }

        await SetLevelsAsync($"{location}/balances/a-glove", null, Quantity.Of(10, "EA"), "", "reorder_point");
        await SetLevelsAsync($"{location}/balances/b-drape", null, Quantity.Of(5, "EA"), "", "reorder_point");
        await SetLevelsAsync($"{location}/balances/c-mask", null, Quantity.Of(4, "EA"), "", "reorder_point");

        var (all, _) = await Pages.AllAsync<string>(async token =>
        {
            var page = await Inventory.ListInventoryBalancesAsync(new ListInventoryBalancesRequest { Parent = location, PageSize = 3, PageToken = token });
            return (page.InventoryBalances.Select(b => b.Item), page.NextPageToken);
        });
        var low = await Inventory.ListInventoryBalancesAsync(new ListInventoryBalancesRequest { Parent = location, BelowReorderPoint = true });

        Assert.Equal(["items/a-glove", "items/b-drape", "items/c-mask", "items/d-cap"], all);
        Assert.Equal(["items/b-drape", "items/c-mask"], low.InventoryBalances.Select(b => b.Item));
    }

    [Fact]
    public async Task BadNamesAndTokens_AreInvalidArgument_NamingTheField_AndUnknownBalancesNotFound()
    {
        var badName = await Assert.ThrowsAsync<RpcException>(() => Inventory.GetInventoryBalanceAsync(new GetInventoryBalanceRequest { Name = "locations/icu/items/gauze" }).ResponseAsync);
        var badParent = await Assert.ThrowsAsync<RpcException>(() => Inventory.ListStockMovementsAsync(new ListStockMovementsRequest { Parent = "icu" }).ResponseAsync);
        var badToken = await Assert.ThrowsAsync<RpcException>(() => Inventory.ListInventoryBalancesAsync(new ListInventoryBalancesRequest { Parent = "locations/icu", PageToken = "not-ours" }).ResponseAsync);
        var missing = await Assert.ThrowsAsync<RpcException>(() => Inventory.GetInventoryBalanceAsync(new GetInventoryBalanceRequest { Name = $"{NewLocation()}/balances/gauze" }).ResponseAsync);
        var missingMovement = await Assert.ThrowsAsync<RpcException>(() => Inventory.GetStockMovementAsync(new GetStockMovementRequest { Name = $"{NewLocation()}/movements/m1" }).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, true), (badName.StatusCode, badName.Status.Detail.Contains("name 'locations/icu/items/gauze'", StringComparison.Ordinal)));
        Assert.Equal((StatusCode.InvalidArgument, true), (badParent.StatusCode, badParent.Status.Detail.Contains("parent", StringComparison.Ordinal)));
        Assert.Equal((StatusCode.InvalidArgument, true), (badToken.StatusCode, badToken.Status.Detail.Contains("page_token", StringComparison.Ordinal)));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Equal(StatusCode.NotFound, missingMovement.StatusCode);
    }
}
