using Mesh.Contracts;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Testing;

namespace Mesh.MasterData.Tests;

public sealed class SupplierServiceTests(MasterDataFixture fixture) : IClassFixture<MasterDataFixture>
{
    private SupplierService.SupplierServiceClient Suppliers => fixture.Suppliers;

    // An employer identification number of its own for each supplier, so tax id filters and matches see only it.
    private static string NewTaxId() => $"{Random.Shared.Next(10, 100)}-{Random.Shared.Next(1_000_000, 10_000_000)}";

    private static Supplier Acme(string taxId = "") => new()
    {
        DisplayName = "Acme Medical",
        LegalName = "Acme Medical Supply LLC",
        TaxId = taxId,
        PaymentTerms = "NET30",
        ContactName = "Pat Buyer",
        ContactEmail = "pat.buyer@acme-medical.example",
        ContactPhone = "+18475551234",
    };

    private async Task<Supplier> CreateAsync(Supplier supplier, string id = "", string requestId = "") =>
        await Suppliers.CreateSupplierAsync(new CreateSupplierRequest { Supplier = supplier, SupplierId = id, RequestId = requestId });

    private async Task<RpcException> RefusedAsync<T>(Func<AsyncUnaryCall<T>> call) => await Assert.ThrowsAsync<RpcException>(() => call().ResponseAsync);

    private async Task<List<Supplier>> ListAllAsync(ListSuppliersRequest filter)
    {
        var (suppliers, _) = await Pages.AllAsync<Supplier>(async token =>
        {
            var page = await Suppliers.ListSuppliersAsync(new ListSuppliersRequest(filter) { PageToken = token });
            return (page.Suppliers, page.NextPageToken);
        });
        return suppliers;
    }

    // Other tests of the class leave Acme look-alikes behind, so the match is picked out by name from all of them.
    private async Task<SupplierMatch?> MatchAsync(Supplier candidate, Supplier existing, int minScore = 0) =>
        (await Suppliers.FindDuplicateSuppliersAsync(new FindDuplicateSuppliersRequest { Supplier = candidate, MinScoreBasisPoints = minScore, MaxMatches = 100 }))
            .Matches.SingleOrDefault(m => m.Supplier.Name == existing.Name);

    [Fact]
    public async Task CreateGetUpdateDelete_ThroughTheSidecar()
    {
        var id = $"acme-{Guid.NewGuid():N}"[..17];

        var created = await CreateAsync(Acme(NewTaxId()), id);
        var read = await Suppliers.GetSupplierAsync(new GetSupplierRequest { Name = created.Name });
        var updated = await Suppliers.UpdateSupplierAsync(new UpdateSupplierRequest
        {
            Supplier = new Supplier
            {
                Name = created.Name,
                Etag = read.Etag,
                State = SupplierState.Blocked,
                RemitToAddress = new PostalAddress { AddressLines = { "PO Box 1000" }, Locality = "Chicago", AdministrativeArea = "IL", PostalCode = "60601", RegionCode = "US" },
            },
            UpdateMask = new FieldMask { Paths = { "state", "remit_to_address" } },
        });
        var stale = await RefusedAsync(() => Suppliers.UpdateSupplierAsync(new UpdateSupplierRequest
        {
            Supplier = new Supplier { Name = created.Name, Etag = read.Etag, PaymentTerms = "NET60" },
            UpdateMask = new FieldMask { Paths = { "payment_terms" } },
        }));
        var staleDelete = await RefusedAsync(() => Suppliers.DeleteSupplierAsync(new DeleteSupplierRequest { Name = created.Name, Etag = read.Etag }));
        await Suppliers.DeleteSupplierAsync(new DeleteSupplierRequest { Name = created.Name, Etag = updated.Etag });
        var gone = await RefusedAsync(() => Suppliers.GetSupplierAsync(new GetSupplierRequest { Name = created.Name }));

        Assert.Equal($"suppliers/{id}", created.Name);
        Assert.Equal(SupplierState.Active, created.State);
        Assert.Equal(created.CreateTime, created.UpdateTime);
        Assert.Equal(SupplierState.Blocked, updated.State);
        Assert.Equal("60601", updated.RemitToAddress.PostalCode);
        Assert.Equal(("Acme Medical Supply LLC", "NET30"), (updated.LegalName, updated.PaymentTerms));
        Assert.NotEqual(read.Etag, updated.Etag);
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);
        Assert.Equal(StatusCode.Aborted, staleDelete.StatusCode);
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Create_SameRequestIdTwice_CreatesOnce()
    {
        var taxId = NewTaxId();
        var requestId = Guid.NewGuid().ToString();

        var first = await CreateAsync(Acme(taxId), requestId: requestId);
        var retry = await CreateAsync(Acme(taxId), requestId: requestId);
        var withTaxId = await ListAllAsync(new ListSuppliersRequest { TaxId = taxId });

        Assert.Equal(first.Name, retry.Name);
        Assert.Equal(first.CreateTime, retry.CreateTime);
        Assert.Equal(first.Name, Assert.Single(withTaxId).Name);
    }

    [Fact]
    public async Task BadInput_NamesTheField_AndNeverEchoesContactDetails()
    {
        var existing = await CreateAsync(Acme(NewTaxId()));

        var noDisplayName = await RefusedAsync(() => Suppliers.CreateSupplierAsync(new CreateSupplierRequest { Supplier = new Supplier(Acme()) { DisplayName = "" } }));
        var noLegalName = await RefusedAsync(() => Suppliers.CreateSupplierAsync(new CreateSupplierRequest { Supplier = new Supplier(Acme()) { LegalName = "  " } }));
        var badEmail = await RefusedAsync(() => Suppliers.CreateSupplierAsync(new CreateSupplierRequest { Supplier = new Supplier(Acme()) { ContactEmail = "pat.buyer at acme" } }));
        var badPhone = await RefusedAsync(() => Suppliers.CreateSupplierAsync(new CreateSupplierRequest { Supplier = new Supplier(Acme()) { ContactPhone = "(847) 555-1234" } }));
        var emailUpdate = await RefusedAsync(() => Suppliers.UpdateSupplierAsync(new UpdateSupplierRequest
        {
            Supplier = new Supplier { Name = existing.Name, ContactEmail = "pat.buyer@" },
            UpdateMask = new FieldMask { Paths = { "contact_email" } },
        }));
        var nameMask = await RefusedAsync(() => Suppliers.UpdateSupplierAsync(new UpdateSupplierRequest
        {
            Supplier = new Supplier { Name = existing.Name },
            UpdateMask = new FieldMask { Paths = { "name" } },
        }));
        var badMinScore = await RefusedAsync(() => Suppliers.FindDuplicateSuppliersAsync(new FindDuplicateSuppliersRequest { Supplier = Acme(), MinScoreBasisPoints = 10001 }));
        var noCandidate = await RefusedAsync(() => Suppliers.FindDuplicateSuppliersAsync(new FindDuplicateSuppliersRequest()));

        Assert.All([noDisplayName, noLegalName, badEmail, badPhone, emailUpdate, nameMask, badMinScore, noCandidate], e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        Assert.Contains("supplier.display_name", noDisplayName.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("supplier.legal_name", noLegalName.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("supplier.contact_email", badEmail.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("pat.buyer", badEmail.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("supplier.contact_phone", badPhone.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("555-1234", badPhone.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("supplier.contact_email", emailUpdate.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("pat.buyer", emailUpdate.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("'name'", nameMask.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("min_score_basis_points", badMinScore.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("supplier", noCandidate.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(existing.ContactEmail, (await Suppliers.GetSupplierAsync(new GetSupplierRequest { Name = existing.Name })).ContactEmail);
    }

    [Fact]
    public async Task SameTaxIdOrExternalId_IsAlreadyExists_NamingTheHolderNotTheValue()
    {
        var taxId = NewTaxId();
        var vendorNumber = $"V-{Guid.NewGuid():N}"[..12];
        var holder = await CreateAsync(new Supplier(Acme(taxId)) { ExternalIds = { new ExternalId { System = "erp", Value = vendorNumber } } });

        // Other spellings of the same identifiers are the same identifiers.
        var sameTaxId = await RefusedAsync(() => Suppliers.CreateSupplierAsync(new CreateSupplierRequest { Supplier = Acme(taxId.Replace("-", "", StringComparison.Ordinal)) }));
        var sameVendor = await RefusedAsync(() => Suppliers.CreateSupplierAsync(new CreateSupplierRequest
        {
            Supplier = new Supplier(Acme(NewTaxId())) { ExternalIds = { new ExternalId { System = "ERP", Value = vendorNumber.ToLowerInvariant() } } },
        }));
        var otherSystem = await CreateAsync(new Supplier(Acme(NewTaxId())) { ExternalIds = { new ExternalId { System = "gpo", Value = vendorNumber } } });
        var other = await CreateAsync(Acme(NewTaxId()));
        var takeTaxId = await RefusedAsync(() => Suppliers.UpdateSupplierAsync(new UpdateSupplierRequest
        {
            Supplier = new Supplier { Name = other.Name, TaxId = taxId },
            UpdateMask = new FieldMask { Paths = { "tax_id" } },
        }));
        var otherAfterRefusal = await Suppliers.GetSupplierAsync(new GetSupplierRequest { Name = other.Name });

        Assert.Equal((StatusCode.AlreadyExists, $"supplier.tax_id is already held by {holder.Name}"), (sameTaxId.StatusCode, sameTaxId.Status.Detail));
        Assert.Equal((StatusCode.AlreadyExists, $"supplier.external_ids is already held by {holder.Name}"), (sameVendor.StatusCode, sameVendor.Status.Detail));
        Assert.Equal((StatusCode.AlreadyExists, $"supplier.tax_id is already held by {holder.Name}"), (takeTaxId.StatusCode, takeTaxId.Status.Detail));
        Assert.Equal(other, otherAfterRefusal);
        Assert.Equal("gpo", otherSystem.ExternalIds.Single().System);
        // Only the suppliers that were created are announced.
        var announced = (await fixture.EventsAsync()).Of(SupplierCreated.Descriptor.FullName).Select(e => e["data"]!["supplier"]!["taxId"]?.GetValue<string>()).ToList();
        Assert.Single(announced, t => t == taxId);
        Assert.DoesNotContain(taxId.Replace("-", "", StringComparison.Ordinal), announced);
    }

    [Fact]
    public async Task ATaxIdGivenUp_ByUpdateOrDelete_CanBeTakenByAnother_AndRacersForOneTaxIdLeaveOneWinner()
    {
        var (first, second) = (NewTaxId(), NewTaxId());
        var moved = await CreateAsync(Acme(first));
        var deleted = await CreateAsync(Acme(second));

        await Suppliers.UpdateSupplierAsync(new UpdateSupplierRequest { Supplier = new Supplier { Name = moved.Name, TaxId = NewTaxId() }, UpdateMask = new FieldMask { Paths = { "tax_id" } } });
        await Suppliers.DeleteSupplierAsync(new DeleteSupplierRequest { Name = deleted.Name });
        var takesFirst = await CreateAsync(Acme(first));
        var takesSecond = await CreateAsync(Acme(second));

        var contested = NewTaxId();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 6).Select(async racer =>
        {
            try
            {
                return (Created: await CreateAsync(new Supplier(Acme(contested)) { DisplayName = $"Racer {racer}" }), Status: StatusCode.OK);
            }
            catch (RpcException e)
            {
                return (Created: (Supplier?)null, Status: e.StatusCode);
            }
        }));

        Assert.Equal(first, takesFirst.TaxId);
        Assert.Equal(second, takesSecond.TaxId);
        var winner = Assert.Single(outcomes, o => o.Created is not null).Created!;
        Assert.All(outcomes.Where(o => o.Created is null), o => Assert.Equal(StatusCode.AlreadyExists, o.Status));
        Assert.Equal(winner.Name, Assert.Single(await ListAllAsync(new ListSuppliersRequest { TaxId = contested })).Name);
        // The losers' transactions failed on the claim, so only the winner was announced.
        var announced = Assert.Single((await fixture.EventsAsync()).Of(SupplierCreated.Descriptor.FullName, d => d["supplier"]!["taxId"]?.GetValue<string>() == contested));
        Assert.Equal(winner.Name, announced["data"]!["supplier"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Delete_WhileAnItemIsSoldByIt_IsFailedPrecondition_AfterwardsItGoes()
    {
        var supplier = await CreateAsync(Acme(NewTaxId()));
        var item = await fixture.Items.CreateItemAsync(new CreateItemRequest
        {
            Item = new Item { Description = "Gauze 4x4", StockingUnit = "EA", SupplierPartNumbers = { new SupplierPartNumber { Supplier = supplier.Name, PartNumber = "G-44" } } },
        });

        var refused = await RefusedAsync(() => Suppliers.DeleteSupplierAsync(new DeleteSupplierRequest { Name = supplier.Name }));
        await fixture.Items.UpdateItemAsync(new UpdateItemRequest { Item = new Item { Name = item.Name }, UpdateMask = new FieldMask { Paths = { "supplier_part_numbers" } } });
        await Suppliers.DeleteSupplierAsync(new DeleteSupplierRequest { Name = supplier.Name });

        Assert.Equal(
            (StatusCode.FailedPrecondition, $"{item.Name} is sold by {supplier.Name} (supplier_part_numbers); remove that number first, or make {supplier.Name} inactive"),
            (refused.StatusCode, refused.Status.Detail));
        Assert.Equal(StatusCode.NotFound, (await RefusedAsync(() => Suppliers.GetSupplierAsync(new GetSupplierRequest { Name = supplier.Name }))).StatusCode);
    }

    [Fact]
    public async Task ListSuppliers_FiltersAndPages()
    {
        var created = new List<Supplier>();
        for (var i = 0; i < 5; i++)
        {
            created.Add(await CreateAsync(new Supplier(Acme(NewTaxId())) { State = i < 2 ? SupplierState.Blocked : SupplierState.Unspecified }));
        }

        var (all, pages) = await Pages.AllAsync<Supplier>(async token =>
        {
            var page = await Suppliers.ListSuppliersAsync(new ListSuppliersRequest { PageSize = 2, PageToken = token });
            return (page.Suppliers, page.NextPageToken);
        });
        var blocked = await ListAllAsync(new ListSuppliersRequest { State = SupplierState.Blocked, PageSize = 1 });
        var byTaxId = await ListAllAsync(new ListSuppliersRequest { TaxId = created[3].TaxId.Replace("-", " ", StringComparison.Ordinal) });

        Assert.Equal(all.Count, all.Select(s => s.Name).Distinct().Count());
        Assert.Subset(all.Select(s => s.Name).ToHashSet(), created.Select(s => s.Name).ToHashSet());
        Assert.True(pages >= 3, $"at least 5 suppliers at 2 a page came in {pages} page(s)");
        Assert.All(blocked, s => Assert.Equal(SupplierState.Blocked, s.State));
        Assert.Equal(blocked.Count, blocked.Select(s => s.Name).Distinct().Count());
        Assert.Subset(blocked.Select(s => s.Name).ToHashSet(), created.Take(2).Select(s => s.Name).ToHashSet());
        Assert.Equal(created[3].Name, Assert.Single(byTaxId).Name);
    }

    [Fact]
    public async Task FindDuplicateSuppliers_FindsTheSameOrganisationUnderAnotherSpelling()
    {
        var taxId = NewTaxId();
        var duns = $"{Random.Shared.Next(100_000_000, 1_000_000_000)}";
        var acme = await CreateAsync(new Supplier(Acme(taxId)) { ExternalIds = { new ExternalId { System = "duns", Value = duns } } });
        var unrelated = await CreateAsync(new Supplier { DisplayName = "Bayside Surgical", LegalName = "Bayside Surgical Instruments Corp", TaxId = NewTaxId() });

        var byLegalName = await Suppliers.FindDuplicateSuppliersAsync(new FindDuplicateSuppliersRequest
        {
            Supplier = new Supplier { DisplayName = "ACME Medical Supply", LegalName = "ACME Medical Supply, Inc." },
            MaxMatches = 100,
        });
        var byTaxId = await MatchAsync(new Supplier { DisplayName = "AMS", LegalName = "AMS Holdings", TaxId = taxId.Replace("-", "", StringComparison.Ordinal) }, acme);
        var byDuns = await MatchAsync(new Supplier { DisplayName = "AMS", LegalName = "AMS Holdings", ExternalIds = { new ExternalId { System = "DUNS", Value = $"{duns[..2]}-{duns[2..5]}-{duns[5..]}" } } }, acme);
        var itself = await MatchAsync(acme, acme);

        var match = Assert.Single(byLegalName.Matches, m => m.Supplier.Name == acme.Name);
        Assert.Equal(9500, match.ScoreBasisPoints);
        Assert.Contains("legal_name", match.MatchedFields);
        Assert.DoesNotContain(byLegalName.Matches, m => m.Supplier.Name == unrelated.Name);
        Assert.Equal(10000, byTaxId?.ScoreBasisPoints);
        Assert.Contains("tax_id", byTaxId!.MatchedFields);
        Assert.Equal(9000, byDuns?.ScoreBasisPoints);
        Assert.Equal(["external_ids"], byDuns!.MatchedFields);
        Assert.Null(itself);
    }

    [Fact]
    public async Task FindDuplicateSuppliers_SharedNameWordsAndStreetAddressAreEvidence()
    {
        var address = new PostalAddress { AddressLines = { "Three Lakes Drive", "Suite 200" }, Locality = "Northfield", AdministrativeArea = "IL", PostalCode = "60093", RegionCode = "US" };
        var existing = await CreateAsync(new Supplier { DisplayName = "Lakeshore Surgical", LegalName = "Lakeshore Surgical Partners LP", Address = address });
        var candidate = new Supplier { DisplayName = "Lakeshore Surgical", LegalName = "Lakeshore Surgical Supply Inc" };
        var atSameAddress = new Supplier(candidate) { Address = new PostalAddress { AddressLines = { "THREE LAKES DRIVE," }, PostalCode = "60093" } };

        // Names share LAKESHORE and SURGICAL of LAKESHORE, SURGICAL, PARTNERS and SUPPLY: 2/4 of 8000.
        var byDefault = await MatchAsync(candidate, existing);
        var byWords = await MatchAsync(candidate, existing, minScore: 3000);
        var withAddress = await MatchAsync(atSameAddress, existing, minScore: 3000);
        var withAddressByDefault = await MatchAsync(atSameAddress, existing);

        Assert.Null(byDefault);
        Assert.Equal(4000, byWords?.ScoreBasisPoints);
        Assert.Equal(["display_name"], byWords!.MatchedFields);
        Assert.Equal(5500, withAddress?.ScoreBasisPoints);
        Assert.Equal(["display_name", "address"], withAddress!.MatchedFields);
        Assert.Null(withAddressByDefault);
    }
}
