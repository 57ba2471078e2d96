using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;

namespace Mesh.MasterData.Tests;

/// <summary>
/// The delete checks for what still refers to a resource (a location's children, a supplier's items, a cost center's
/// locations) read the group of that resource, kept by every create, update and delete of the referring records: each
/// refuses while a dependent exists, however it came to refer (created so, or moved there), and allows once the last
/// one moved away or was deleted, among many unrelated records.
/// </summary>
public sealed class ReferenceChecksTests(MasterDataFixture fixture) : IClassFixture<MasterDataFixture>
{
    private const int Unrelated = 40;

    [Fact]
    public async Task DeleteLocation_ChildCreatedOrMovedUnderIt_RefusedUntilItMovesOrGoes()
    {
        var facility = $"fac-{Guid.NewGuid():N}"[..12];
        var (first, second, elsewhere) = (await LocationAsync(facility), await LocationAsync(facility), await LocationAsync(facility));
        await Task.WhenAll(Enumerable.Range(0, Unrelated).Select(_ => LocationAsync(facility, parent: elsewhere.Name)));
        var child = await LocationAsync(facility, parent: first.Name);

        var whileCreatedUnder = await RefusedAsync(() => fixture.Locations.DeleteLocationAsync(new DeleteLocationRequest { Name = first.Name }));
        await MoveAsync("parent_location", new Location { Name = child.Name, ParentLocation = second.Name });
        await fixture.Locations.DeleteLocationAsync(new DeleteLocationRequest { Name = first.Name });
        var whileMovedUnder = await RefusedAsync(() => fixture.Locations.DeleteLocationAsync(new DeleteLocationRequest { Name = second.Name }));
        await fixture.Locations.DeleteLocationAsync(new DeleteLocationRequest { Name = child.Name });
        await fixture.Locations.DeleteLocationAsync(new DeleteLocationRequest { Name = second.Name });

        Assert.All([(whileCreatedUnder, first), (whileMovedUnder, second)], refusal => Assert.Equal(
            (StatusCode.FailedPrecondition, $"{refusal.Item2.Name} has the child location {child.Name}; move or delete it first, or make {refusal.Item2.Name} inactive"),
            (refusal.Item1.StatusCode, refusal.Item1.Status.Detail)));
        Assert.Equal(StatusCode.NotFound, (await RefusedAsync(() => fixture.Locations.GetLocationAsync(new GetLocationRequest { Name = second.Name }))).StatusCode);
    }

    [Fact]
    public async Task DeleteSupplier_ItemSoldByItOnCreateOrUpdate_RefusedUntilTheNumberOrItemGoes()
    {
        var (first, second, elsewhere) = (await SupplierAsync(), await SupplierAsync(), await SupplierAsync());
        await Task.WhenAll(Enumerable.Range(0, Unrelated).Select(_ => ItemAsync(elsewhere.Name)));
        var item = await ItemAsync(first.Name);

        var whileCreatedSelling = await RefusedAsync(() => fixture.Suppliers.DeleteSupplierAsync(new DeleteSupplierRequest { Name = first.Name }));
        await MoveAsync("supplier_part_numbers", new Item { Name = item.Name, SupplierPartNumbers = { Number(second.Name) } });
        await fixture.Suppliers.DeleteSupplierAsync(new DeleteSupplierRequest { Name = first.Name });
        var whileUpdatedSelling = await RefusedAsync(() => fixture.Suppliers.DeleteSupplierAsync(new DeleteSupplierRequest { Name = second.Name }));
        await fixture.Items.DeleteItemAsync(new DeleteItemRequest { Name = item.Name });
        await fixture.Suppliers.DeleteSupplierAsync(new DeleteSupplierRequest { Name = second.Name });

        Assert.All([(whileCreatedSelling, first), (whileUpdatedSelling, second)], refusal => Assert.Equal(
            (StatusCode.FailedPrecondition, $"{item.Name} is sold by {refusal.Item2.Name} (supplier_part_numbers); remove that number first, or make {refusal.Item2.Name} inactive"),
            (refusal.Item1.StatusCode, refusal.Item1.Status.Detail)));
        Assert.Equal(StatusCode.NotFound, (await RefusedAsync(() => fixture.Suppliers.GetSupplierAsync(new GetSupplierRequest { Name = second.Name }))).StatusCode);
    }

    [Fact]
    public async Task DeleteCostCenter_LocationChargedToItOnCreateOrUpdate_RefusedUntilItMovesOrGoes()
    {
        var company = $"co-{Guid.NewGuid():N}"[..10];
        var (first, second, elsewhere) = (await CostCenterAsync(company, "4010"), await CostCenterAsync(company, "4020"), await CostCenterAsync(company, "4030"));
        var facility = $"fac-{company}";
        await Task.WhenAll(Enumerable.Range(0, Unrelated).Select(_ => LocationAsync(facility, costCenter: elsewhere.Name)));
        var ward = await LocationAsync(facility, costCenter: first.Name);

        var whileCreatedCharged = await RefusedAsync(() => fixture.CostCenters.DeleteCostCenterAsync(new DeleteCostCenterRequest { Name = first.Name }));
        await MoveAsync("cost_center", new Location { Name = ward.Name, CostCenter = second.Name });
        await fixture.CostCenters.DeleteCostCenterAsync(new DeleteCostCenterRequest { Name = first.Name });
        var whileMovedCharged = await RefusedAsync(() => fixture.CostCenters.DeleteCostCenterAsync(new DeleteCostCenterRequest { Name = second.Name }));
        await fixture.Locations.DeleteLocationAsync(new DeleteLocationRequest { Name = ward.Name });
        await fixture.CostCenters.DeleteCostCenterAsync(new DeleteCostCenterRequest { Name = second.Name });

        Assert.All([(whileCreatedCharged, first), (whileMovedCharged, second)], refusal => Assert.Equal(
            (StatusCode.FailedPrecondition, $"{ward.Name} is charged to {refusal.Item2.Name}; move it to another cost center first, or make {refusal.Item2.Name} inactive"),
            (refusal.Item1.StatusCode, refusal.Item1.Status.Detail)));
        Assert.Equal(StatusCode.NotFound, (await RefusedAsync(() => fixture.CostCenters.GetCostCenterAsync(new GetCostCenterRequest { Name = second.Name }))).StatusCode);
    }

    private static SupplierPartNumber Number(string supplier) => new() { Supplier = supplier, PartNumber = $"P-{Guid.NewGuid():N}"[..10] };

    private static async Task<RpcException> RefusedAsync<T>(Func<AsyncUnaryCall<T>> call) => await Assert.ThrowsAsync<RpcException>(() => call().ResponseAsync);

    private Task<Location> LocationAsync(string facility, string parent = "", string costCenter = "costCenters/1000-4010") =>
        fixture.Locations.CreateLocationAsync(new CreateLocationRequest
        {
            Location = new Location { DisplayName = "Supply core", Type = LocationType.Storeroom, Facility = facility, ParentLocation = parent, CostCenter = costCenter },
        }).ResponseAsync;

    private Task<Supplier> SupplierAsync() =>
        fixture.Suppliers.CreateSupplierAsync(new CreateSupplierRequest { Supplier = new Supplier { DisplayName = "Acme Medical", LegalName = "Acme Medical Supply LLC" } }).ResponseAsync;

    private Task<Item> ItemAsync(string supplier) =>
        fixture.Items.CreateItemAsync(new CreateItemRequest { Item = new Item { Description = "Gauze 4x4", StockingUnit = "EA", SupplierPartNumbers = { Number(supplier) } } }).ResponseAsync;

    private Task<CostCenter> CostCenterAsync(string company, string code) =>
        fixture.CostCenters.CreateCostCenterAsync(new CreateCostCenterRequest
        {
            CostCenter = new CostCenter { Code = code, DisplayName = "Surgical Services", CompanyCode = company, Department = "Perioperative Services" },
        }).ResponseAsync;

    private Task MoveAsync(string path, Location change) =>
        fixture.Locations.UpdateLocationAsync(new UpdateLocationRequest { Location = change, UpdateMask = new FieldMask { Paths = { path } } }).ResponseAsync;

    private Task MoveAsync(string path, Item change) =>
        fixture.Items.UpdateItemAsync(new UpdateItemRequest { Item = change, UpdateMask = new FieldMask { Paths = { path } } }).ResponseAsync;
}
