using Mesh.Contracts;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Contracts.Validation;
using Mesh.Testing;

namespace Mesh.MasterData.Tests;

public sealed class ItemServiceTests(MasterDataFixture fixture) : IClassFixture<MasterDataFixture>
{
    private ItemService.ItemServiceClient Items => fixture.Items;

    private static Item Suture(string mpn = "ETH-8665") => new()
    {
        Description = "Suture 3-0 nylon, 18 in, FS-1 needle",
        Manufacturer = "Ethicon",
        ManufacturerPartNumber = mpn,
        StockingUnit = "EA",
        Category = "sutures",
        Chargeable = true,
        ChargePrice = Money.Of("USD", 18.75m),
        ChargeCode = "272-1001",
    };

    [Fact]
    public async Task CreateGetUpdateDelete_ThroughTheSidecar()
    {
        var id = $"suture-{Guid.NewGuid():N}"[..20];

        var created = await Items.CreateItemAsync(new CreateItemRequest { Item = Suture(), ItemId = id });
        var read = await Items.GetItemAsync(new GetItemRequest { Name = created.Name });
        var updated = await Items.UpdateItemAsync(new UpdateItemRequest
        {
            Item = new Item { Name = created.Name, Etag = read.Etag, Category = "wound-closure" },
            UpdateMask = new FieldMask { Paths = { "category" } },
        });
        var stale = await Assert.ThrowsAsync<RpcException>(() => Items.UpdateItemAsync(new UpdateItemRequest
        {
            Item = new Item { Name = created.Name, Etag = read.Etag, Category = "lost-update" },
            UpdateMask = new FieldMask { Paths = { "category" } },
        }).ResponseAsync);
        await Items.DeleteItemAsync(new DeleteItemRequest { Name = created.Name });
        var gone = await Assert.ThrowsAsync<RpcException>(() => Items.GetItemAsync(new GetItemRequest { Name = created.Name }).ResponseAsync);

        Assert.Equal($"items/{id}", created.Name);
        Assert.Equal(ItemState.Active, created.State);
        Assert.Equal("wound-closure", updated.Category);
        Assert.Equal("Ethicon", updated.Manufacturer);
        Assert.NotEqual(read.Etag, updated.Etag);
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Create_SameRequestIdTwice_CreatesOnce_AndTakenIdIsAlreadyExists()
    {
        var requestId = Guid.NewGuid().ToString();
        var id = $"gauze-{Guid.NewGuid():N}"[..18];
        var gauze = new Item { Description = "Gauze sponge 4x4 in", StockingUnit = "EA" };

        var first = await Items.CreateItemAsync(new CreateItemRequest { Item = gauze, ItemId = id, RequestId = requestId });
        var retry = await Items.CreateItemAsync(new CreateItemRequest { Item = gauze, ItemId = id, RequestId = requestId });
        var taken = await Assert.ThrowsAsync<RpcException>(() => Items.CreateItemAsync(new CreateItemRequest { Item = gauze, ItemId = id }).ResponseAsync);

        Assert.Equal(first.Name, retry.Name);
        Assert.Equal(first.CreateTime, retry.CreateTime);
        Assert.Equal(StatusCode.AlreadyExists, taken.StatusCode);
    }

    [Fact]
    public async Task BadInput_NamesTheField()
    {
        var noUnit = await Assert.ThrowsAsync<RpcException>(() => Items.CreateItemAsync(new CreateItemRequest { Item = new Item { Description = "x" } }).ResponseAsync);
        var badName = await Assert.ThrowsAsync<RpcException>(() => Items.GetItemAsync(new GetItemRequest { Name = "products/1" }).ResponseAsync);
        var chargeable = await Assert.ThrowsAsync<RpcException>(() => Items.CreateItemAsync(new CreateItemRequest { Item = new Item { Description = "x", StockingUnit = "EA", Chargeable = true } }).ResponseAsync);
        var unpriced = await Assert.ThrowsAsync<RpcException>(() => Items.CreateItemAsync(new CreateItemRequest { Item = new Item(Suture()) { ChargePrice = null } }).ResponseAsync);
        var twoForOneSupplier = await Assert.ThrowsAsync<RpcException>(() => Items.CreateItemAsync(new CreateItemRequest
        {
            Item = new Item(Suture()) { SupplierPartNumbers = { new SupplierPartNumber { Supplier = "suppliers/acme", PartNumber = "A-1" }, new SupplierPartNumber { Supplier = "suppliers/acme", PartNumber = "A-2" } } },
        }).ResponseAsync);
        var noPartNumber = await Assert.ThrowsAsync<RpcException>(() => Items.CreateItemAsync(new CreateItemRequest
        {
            Item = new Item(Suture()) { SupplierPartNumbers = { new SupplierPartNumber { Supplier = "suppliers/acme" } } },
        }).ResponseAsync);

        Assert.Equal((StatusCode.InvalidArgument, true), (noUnit.StatusCode, noUnit.Status.Detail.Contains("item.stocking_unit", StringComparison.Ordinal)));
        Assert.Equal((StatusCode.InvalidArgument, true), (badName.StatusCode, badName.Status.Detail.Contains("items/{id}", StringComparison.Ordinal)));
        Assert.Contains("item.charge_code", chargeable.Status.Detail, StringComparison.Ordinal);
        Assert.Equal((StatusCode.InvalidArgument, "item.charge_price is required when item.chargeable is true (a positive chargemaster price with its currency)"), (unpriced.StatusCode, unpriced.Status.Detail));
        Assert.Equal("item.supplier_part_numbers has 2 numbers for suppliers/acme; at most one per supplier", twoForOneSupplier.Status.Detail);
        Assert.Equal("item.supplier_part_numbers[0] needs both supplier and part_number", noPartNumber.Status.Detail);
    }

    [Fact]
    public async Task FindDuplicateItems_FindsTheSameProductUnderAnotherNumber()
    {
        var mpn = $"MPN-{Guid.NewGuid():N}"[..12];
        var existing = await Items.CreateItemAsync(new CreateItemRequest { Item = Suture(mpn) });
        await Items.CreateItemAsync(new CreateItemRequest { Item = new Item { Description = "Exam glove nitrile large", StockingUnit = "BX" } });

        var byPartNumber = await Items.FindDuplicateItemsAsync(new FindDuplicateItemsRequest { Item = new Item { Description = "3-0 nylon suture", Manufacturer = "ETHICON", ManufacturerPartNumber = mpn.ToLowerInvariant() } });
        var unrelated = await Items.FindDuplicateItemsAsync(new FindDuplicateItemsRequest { Item = new Item { Description = "Surgical mask level 3", ManufacturerPartNumber = "ZZZ" } });

        var match = Assert.Single(byPartNumber.Matches, m => m.Item.Name == existing.Name);
        Assert.Equal(9500, match.ScoreBasisPoints);
        Assert.Contains("manufacturer_part_number", match.MatchedFields);
        Assert.DoesNotContain(unrelated.Matches, m => m.Item.Name == existing.Name);
    }

    [Fact]
    public async Task SameGtinOrUdi_IsAlreadyExists_AGtin12AndItsGtin14AreOne()
    {
        var gtin12 = WellKnownFormats.WithGtinCheckDigit($"0{Random.Shared.NextInt64(1_000_000_000, 9_999_999_999)}");
        var udi = $"(01){Guid.NewGuid():N}";
        var holder = await Items.CreateItemAsync(new CreateItemRequest { Item = new Item(Suture()) { Gtin = gtin12, UdiDeviceIdentifier = udi } });

        var sameGtin = await Assert.ThrowsAsync<RpcException>(() => Items.CreateItemAsync(new CreateItemRequest { Item = new Item(Suture()) { Gtin = $"00{gtin12}" } }).ResponseAsync);
        var sameUdi = await Assert.ThrowsAsync<RpcException>(() => Items.CreateItemAsync(new CreateItemRequest { Item = new Item(Suture()) { UdiDeviceIdentifier = udi.ToUpperInvariant() } }).ResponseAsync);
        var other = await Items.CreateItemAsync(new CreateItemRequest { Item = Suture() });
        var takeGtin = await Assert.ThrowsAsync<RpcException>(() => Items.UpdateItemAsync(new UpdateItemRequest
        {
            Item = new Item { Name = other.Name, Gtin = gtin12 },
            UpdateMask = new FieldMask { Paths = { "gtin" } },
        }).ResponseAsync);
        // Keeping its own identifiers is no conflict.
        var renamed = await Items.UpdateItemAsync(new UpdateItemRequest
        {
            Item = new Item { Name = holder.Name, Description = "Suture 3-0 nylon, 18 in" },
            UpdateMask = new FieldMask { Paths = { "description" } },
        });

        Assert.Equal((StatusCode.AlreadyExists, $"item.gtin is already held by {holder.Name}"), (sameGtin.StatusCode, sameGtin.Status.Detail));
        Assert.Equal((StatusCode.AlreadyExists, $"item.udi_device_identifier is already held by {holder.Name}"), (sameUdi.StatusCode, sameUdi.Status.Detail));
        Assert.Equal((StatusCode.AlreadyExists, $"item.gtin is already held by {holder.Name}"), (takeGtin.StatusCode, takeGtin.Status.Detail));
        Assert.Equal((gtin12, "Suture 3-0 nylon, 18 in"), (renamed.Gtin, renamed.Description));
    }

    [Fact]
    public async Task CreateAndUpdate_PublishItemCreatedAndItemUpdated_InTheirTransactions_ARetriedCreatePublishesNothingMore()
    {
        var requestId = Guid.NewGuid().ToString("N");
        var created = await Items.CreateItemAsync(new CreateItemRequest { Item = Suture(), RequestId = requestId });
        await Items.CreateItemAsync(new CreateItemRequest { Item = Suture(), RequestId = requestId });
        var updated = await Items.UpdateItemAsync(new UpdateItemRequest
        {
            Item = new Item { Name = created.Name, Description = "Suture 3-0 nylon, 27 in" },
            UpdateMask = new FieldMask { Paths = { "description" } },
        });
        // An update whose etag is stale commits nothing and announces nothing.
        await Assert.ThrowsAsync<RpcException>(() => Items.UpdateItemAsync(new UpdateItemRequest
        {
            Item = new Item { Name = created.Name, Description = "Suture 3-0 nylon, 36 in", Etag = created.Etag },
            UpdateMask = new FieldMask { Paths = { "description" } },
        }).ResponseAsync);

        var events = await fixture.EventsAsync();
        var createdEvent = Assert.Single(events.Of(ItemCreated.Descriptor.FullName, d => d["item"]!["name"]!.GetValue<string>() == created.Name));
        var updatedEvent = Assert.Single(events.Of(ItemUpdated.Descriptor.FullName, d => d["item"]!["name"]!.GetValue<string>() == created.Name));

        Assert.Equal(($"{created.Name}.created", "mesh/masterdata"), (createdEvent["data"]!["context"]!["eventId"]!.GetValue<string>(), createdEvent["source"]!.GetValue<string>()));
        Assert.Equal(requestId, createdEvent["data"]!["context"]!["causationId"]!.GetValue<string>());
        Assert.Equal($"{created.Name}.updated-from.{created.Etag}", updatedEvent["data"]!["context"]!["eventId"]!.GetValue<string>());
        Assert.Equal("description", updatedEvent["data"]!["changedFields"]!.GetValue<string>());
        Assert.Equal(updated.Description, updatedEvent["data"]!["item"]!["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task Update_ReplacesEachMaskedFieldWhole_PricesLists_AndClearsWhatIsLeftUnset()
    {
        var created = await Items.CreateItemAsync(new CreateItemRequest
        {
            Item = new Item(Suture())
            {
                ChargePrice = Money.Of("USD", 12.50m),
                SupplierPartNumbers = { new SupplierPartNumber { Supplier = "suppliers/acme", PartNumber = "A-1" }, new SupplierPartNumber { Supplier = "suppliers/medline", PartNumber = "M-1" } },
            },
        });

        var updated = await Items.UpdateItemAsync(new UpdateItemRequest
        {
            Item = new Item
            {
                Name = created.Name,
                ChargePrice = Money.Of("USD", 13m),
                SupplierPartNumbers = { new SupplierPartNumber { Supplier = "suppliers/medline", PartNumber = "M-2" } },
            },
            UpdateMask = new FieldMask { Paths = { "charge_price", "supplier_part_numbers", "manufacturer" } },
        });

        Assert.Equal(13m, updated.ChargePrice.ToDecimal()); // not 13.50: the old cents do not survive
        var part = Assert.Single(updated.SupplierPartNumbers); // replaced, not appended to
        Assert.Equal(("suppliers/medline", "M-2"), (part.Supplier, part.PartNumber));
        Assert.Equal("", updated.Manufacturer); // masked and unset: cleared
        Assert.Equal(created.Description, updated.Description); // not masked: kept
    }

    [Fact]
    public async Task ListItems_FiltersAndPages()
    {
        var category = $"cat-{Guid.NewGuid():N}"[..12];
        for (var i = 0; i < 3; i++)
        {
            await Items.CreateItemAsync(new CreateItemRequest { Item = new Item { Description = $"Catheter {i}", StockingUnit = "EA", Category = category } });
        }

        var (items, _) = await Pages.AllAsync<Item>(async token =>
        {
            var page = await Items.ListItemsAsync(new ListItemsRequest { Category = category, PageSize = 2, PageToken = token });
            return (page.Items, page.NextPageToken);
        });
        var names = items.Select(i => i.Name).ToList();

        Assert.Equal(3, names.Count);
        Assert.Equal(3, names.Distinct().Count());
    }
}
