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

        await RefusedWhileReferredAsync(
            first.Name,
            second.Name,
            name => fixture.Locations.DeleteLocationAsync(new DeleteLocationRequest { Name = name }).ResponseAsync,
            name => fixture.Locations.GetLocationAsync(new GetLocationRequest { Name = name }).ResponseAsync,
            () => MoveAsync("parent_location", new Location { Name = child.Name, ParentLocation = second.Name }),
            () => fixture.Locations.DeleteLocationAsync(new DeleteLocationRequest { Name = child.Name }).ResponseAsync,
            name => $"{name} has the child location {child.Name}; move or delete it first, or make {name} inactive");
    }

    [Fact]
    public async Task DeleteSupplier_ItemSoldByItOnCreateOrUpdate_RefusedUntilTheNumberOrItemGoes()
    {
        var (first, second, elsewhere) = (await SupplierAsync(), await SupplierAsync(), await SupplierAsync());
        await Task.WhenAll(Enumerable.Range(0, Unrelated).Select(_ => ItemAsync(elsewhere.Name)));
        var item = await ItemAsync(first.Name);

        await RefusedWhileReferredAsync(
            first.Name,
            second.Name,
            name => fixture.Suppliers.DeleteSupplierAsync(new DeleteSupplierRequest { Name = name }).ResponseAsync,
            name => fixture.Suppliers.GetSupplierAsync(new GetSupplierRequest { Name = name }).ResponseAsync,
            () => fixture.Items.UpdateItemAsync(new UpdateItemRequest
            {
                Item = new Item { Name = item.Name, SupplierPartNumbers = { Number(second.Name) } },
                UpdateMask = new FieldMask { Paths = { "supplier_part_numbers" } },
            }).ResponseAsync,
            () => fixture.Items.DeleteItemAsync(new DeleteItemRequest { Name = item.Name }).ResponseAsync,
            name => $"{item.Name} is sold by {name} (supplier_part_numbers); remove that number first, or make {name} inactive");
    }

    [Fact]
    public async Task DeleteCostCenter_LocationChargedToItOnCreateOrUpdate_RefusedUntilItMovesOrGoes()
    {
        var company = $"co-{Guid.NewGuid():N}"[..10];
        var (first, second, elsewhere) = (await CostCenterAsync(company, "4010"), await CostCenterAsync(company, "4020"), await CostCenterAsync(company, "4030"));
        var facility = $"fac-{company}";
        await Task.WhenAll(Enumerable.Range(0, Unrelated).Select(_ => LocationAsync(facility, costCenter: elsewhere.Name)));
        var ward = await LocationAsync(facility, costCenter: first.Name);

        await RefusedWhileReferredAsync(
            first.Name,
            second.Name,
            name => fixture.CostCenters.DeleteCostCenterAsync(new DeleteCostCenterRequest { Name = name }).ResponseAsync,
            name => fixture.CostCenters.GetCostCenterAsync(new GetCostCenterRequest { Name = name }).ResponseAsync,
            () => MoveAsync("cost_center", new Location { Name = ward.Name, CostCenter = second.Name }),
            () => fixture.Locations.DeleteLocationAsync(new DeleteLocationRequest { Name = ward.Name }).ResponseAsync,
            name => $"{ward.Name} is charged to {name}; move it to another cost center first, or make {name} inactive");
    }

    // The dependent refers to first: deleting first is refused; moved to second, first goes and second is refused; once
    // the dependent is deleted, second goes too. Each refusal is FAILED_PRECONDITION with the rule's message.
    private static async Task RefusedWhileReferredAsync(
        string first, string second, Func<string, Task> delete, Func<string, Task> get, Func<Task> moveDependent, Func<Task> deleteDependent, Func<string, string> rule)
    {
        var whileCreated = await Assert.ThrowsAsync<RpcException>(() => delete(first));
        await moveDependent();
        await delete(first);
        var whileMoved = await Assert.ThrowsAsync<RpcException>(() => delete(second));
        await deleteDependent();
        await delete(second);
        var gone = await Assert.ThrowsAsync<RpcException>(() => get(second));

        Assert.Equal((StatusCode.FailedPrecondition, rule(first)), (whileCreated.StatusCode, whileCreated.Status.Detail));
        Assert.Equal((StatusCode.FailedPrecondition, rule(second)), (whileMoved.StatusCode, whileMoved.Status.Detail));
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    private static SupplierPartNumber Number(string supplier) => new() { Supplier = supplier, PartNumber = $"P-{Guid.NewGuid():N}"[..10] };

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
}
