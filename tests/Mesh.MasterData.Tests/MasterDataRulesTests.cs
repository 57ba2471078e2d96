using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.MasterData.Domain;
using Mesh.Resources;

namespace Mesh.MasterData.Tests;

/// <summary>Master data's rules (duplicates, identifier claims, the location tree) and events as plain classes: no sidecar, no gRPC.</summary>
public sealed class MasterDataRulesTests
{
    [Fact]
    public void ItemIdentifiers_AGtin12AndItsGtin14AreOneClaim_AndSpellingsOfAUdiAreOne()
    {
        var gtin12 = ItemRules.IdentifiersOf(new Item { Gtin = "0-12345-67890-5", UdiDeviceIdentifier = "(01)0884 5" }).ToList();
        var gtin14 = ItemRules.IdentifiersOf(new Item { Gtin = "00012345678905", UdiDeviceIdentifier = "0108845" }).ToList();

        Assert.Equal(gtin12, gtin14);
        Assert.Equal(["item.gtin", "item.udi_device_identifier"], gtin12.Select(i => i.Field));
        Assert.Empty(ItemRules.IdentifiersOf(new Item { Gtin = "000" }));
    }

    [Fact]
    public void ItemSimilarity_TheStrongestMatchingIdentifierDecides_ElseSharedWords()
    {
        var candidate = new Item { Gtin = "12345678905", Manufacturer = "Ethicon", ManufacturerPartNumber = "J-1234", Description = "Suture 3-0 nylon 18 in" };

        var sameGtin = ItemRules.Similarity(candidate, new Item { Gtin = "123-4567-8905", Description = "Other" });
        var samePart = ItemRules.Similarity(candidate, new Item { Manufacturer = "ETHICON", ManufacturerPartNumber = "j1234", Description = "Other" });
        var samePartOtherMaker = ItemRules.Similarity(candidate, new Item { Manufacturer = "Medline", ManufacturerPartNumber = "J1234", Description = "Other" });
        var wordsOnly = ItemRules.Similarity(candidate, new Item { Description = "Suture 3-0 nylon 27 in" });

        Assert.Equal((10000, "gtin"), (sameGtin.Score, string.Join(",", sameGtin.Fields)));
        Assert.Equal((9500, "manufacturer_part_number"), (samePart.Score, string.Join(",", samePart.Fields)));
        Assert.Equal(0, samePartOtherMaker.Score);
        Assert.Equal((5714, "description"), (wordsOnly.Score, string.Join(",", wordsOnly.Fields)));
    }

    [Fact]
    public void SupplierSimilarity_LegalFormsDoNotHideTheSameName_AndAnAddressIsOnlyEvidence()
    {
        var candidate = new Supplier { DisplayName = "Acme Medical", LegalName = "ACME Medical Supply, Inc.", Address = Address("100 Main St") };

        var sameLegalName = SupplierRules.Similarity(candidate, new Supplier { DisplayName = "Acme", LegalName = "Acme Medical Supply LLC" });
        var sameAddressOnly = SupplierRules.Similarity(candidate, new Supplier { DisplayName = "Zeta", LegalName = "Zeta Labs GmbH", Address = Address("100 MAIN ST.") });

        Assert.Equal(9500, sameLegalName.Score);
        Assert.Contains("legal_name", sameLegalName.Fields);
        Assert.Equal((1500, "address"), (sameAddressOnly.Score, string.Join(",", sameAddressOnly.Fields)));
    }

    [Fact]
    public void SupplierIdentifiers_ExternalIdsAreUniquePerSystem()
    {
        var ids = SupplierRules.IdentifiersOf(new Supplier { TaxId = "12-3456789", ExternalIds = { new Mesh.Contracts.Type.V1.ExternalId { System = "gpo", Value = "v-1" } } }).ToList();

        Assert.Equal([("supplier.tax_id", "tax", "123456789"), ("supplier.external_ids", "external:GPO", "V1")], ids.Select(i => (i.Field, i.Scheme, i.Value)));
    }

    [Fact]
    public void LocationParent_OtherFacilityOrACycle_IsInvalidArgument()
    {
        var room = new Location { Name = "locations/or-1", Facility = "MAIN", ParentLocation = "locations/suite" };
        var suite = new Location { Name = "locations/suite", Facility = "MAIN", ParentLocation = "locations/or-1" };
        var annex = new Location { Name = "locations/annex", Facility = "EAST" };

        var otherFacility = Assert.Throws<RpcException>(() => LocationRules.CheckParent("locations/or-2", "MAIN", annex, []));
        var cycle = Assert.Throws<RpcException>(() => LocationRules.CheckParent("locations/or-1", "MAIN", suite, [room]));
        LocationRules.CheckParent("locations/or-2", "MAIN", suite, []);

        Assert.Equal("location.parent_location locations/annex is in facility 'EAST', not 'MAIN'", otherFacility.Status.Detail);
        Assert.Equal("location.parent_location locations/suite would make a cycle of locations", cycle.Status.Detail);
    }

    [Theory]
    [InlineData("", "Ward", "1000", "cost_center.code is required")]
    [InlineData("4010", " ", "1000", "cost_center.display_name is required")]
    [InlineData("4010", "Ward", "", "cost_center.company_code is required")]
    public void CostCenterValidate_NamesTheMissingField(string code, string displayName, string companyCode, string message)
    {
        var refused = Assert.Throws<RpcException>(() => CostCenterRules.Validate(new CostCenter { Code = code, DisplayName = displayName, CompanyCode = companyCode }));

        Assert.StartsWith(message, refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Events_HaveIdsDerivedFromWhatHappened()
    {
        var events = new ContractEvents("masterdata-outbox", "mesh/masterdata");
        var at = Timestamp.FromDateTime(new DateTime(2025, 3, 14, 0, 0, 0, DateTimeKind.Utc));
        var item = new Item { Name = "items/suture", CreateTime = at, UpdateTime = at };

        var created = MasterDataEvents.ItemCreated(events, item, "req-1");
        var updated = MasterDataEvents.ItemUpdated(events, item, "7", new FieldMask { Paths = { "description" } });
        var supplier = MasterDataEvents.SupplierCreated(events, new Supplier { Name = "suppliers/acme", CreateTime = at }, "");

        Assert.Equal(("items/suture.created", "req-1", "items/suture.created"), (created.Context.EventId, created.Context.CausationId, created.Context.CorrelationId));
        Assert.Equal(("items/suture.updated-from.7", "description"), (updated.Context.EventId, updated.ChangedFields.Paths.Single()));
        Assert.Equal(("suppliers/acme.created", "mesh/masterdata", at), (supplier.Context.EventId, supplier.Context.Source, supplier.Context.OccurTime));
    }

    private static PostalAddress Address(string line) => new() { AddressLines = { line }, PostalCode = "60601" };
}
