using Mesh.Contracts;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;

namespace Mesh.Charges.Tests;

public sealed class ChargeServiceTests(ChargesFixture fixture) : IClassFixture<ChargesFixture>
{
    // Patient identifiers that must never come back in an error message.
    private const string Mrn = "MRN-7734215";
    private const string Encounter = "ENC-55120987";

    private ChargeService.ChargeServiceClient Charges => fixture.Charges;

    [Fact]
    public async Task CreateCharge_PricesAndCodesFromTheItemsChargeMaster()
    {
        var item = await CreateItemAsync(price: Money.Of("USD", 12.50m));

        var created = await Charges.CreateChargeAsync(new CreateChargeRequest { Charge = Charge(item.Name, 3m) });
        var read = await Charges.GetChargeAsync(new GetChargeRequest { Name = created.Name });

        Assert.StartsWith("charges/", created.Name, StringComparison.Ordinal);
        Assert.Equal(ChargeState.Captured, created.State);
        Assert.Equal((12L, 500_000_000, "USD"), (created.UnitPrice.Units, created.UnitPrice.Nanos, created.UnitPrice.CurrencyCode));
        Assert.Equal((37L, 500_000_000, "USD"), (created.TotalAmount.Units, created.TotalAmount.Nanos, created.TotalAmount.CurrencyCode));
        Assert.Equal(("272-1001", "A4649", "0272"), (created.ChargeCode, created.HcpcsCode, created.RevenueCode));
        Assert.NotNull(created.CreateTime);
        Assert.Equal(created.CreateTime, created.UpdateTime);
        Assert.Equal(created, read);
    }

    [Fact]
    public async Task CreateCharge_FractionalTotal_IsExactAndRoundedHalfToEvenToCents()
    {
        var item = await CreateItemAsync(price: Money.Of("USD", 0.25m));
        var otherItem = await CreateItemAsync(price: Money.Of("USD", 0.35m));

        // Ties go to the even cent: 0.25 x 0.5 = 0.125 -> 0.12 and 0.35 x 0.5 = 0.175 -> 0.18. 0.35 x 2.9 is exactly 1.015 -> 1.02,
        // where doubles would see 1.01499... and give 1.01.
        var down = await Charges.CreateChargeAsync(new CreateChargeRequest { Charge = Charge(item.Name, 0.5m) });
        var up = await Charges.CreateChargeAsync(new CreateChargeRequest { Charge = Charge(otherItem.Name, 0.5m) });
        var exact = await Charges.CreateChargeAsync(new CreateChargeRequest { Charge = Charge(otherItem.Name, 2.9m) });

        Assert.Equal(0.12m, down.TotalAmount.ToDecimal());
        Assert.Equal(0.18m, up.TotalAmount.ToDecimal());
        Assert.Equal(1.02m, exact.TotalAmount.ToDecimal());
    }

    [Fact]
    public async Task CreateCharge_CallerGivenPriceAndCode_WinOverTheChargeMaster()
    {
        var item = await CreateItemAsync(price: Money.Of("USD", 12.50m));
        var charge = Charge(item.Name, 2m);
        charge.UnitPrice = Money.Of("USD", 10m);
        charge.ChargeCode = "272-9999";

        var created = await Charges.CreateChargeAsync(new CreateChargeRequest { Charge = charge });

        Assert.Equal(20m, created.TotalAmount.ToDecimal());
        Assert.Equal(("272-9999", "A4649"), (created.ChargeCode, created.HcpcsCode));
    }

    [Fact]
    public async Task CreateCharge_SameRequestIdTwice_CapturesOneCharge()
    {
        var item = await CreateItemAsync(price: Money.Of("USD", 12.50m));
        var requestId = $"{Guid.NewGuid()}.charge";

        var first = await Charges.CreateChargeAsync(new CreateChargeRequest { Charge = Charge(item.Name, 1m), RequestId = requestId });
        // The charge master changes before the retry arrives: the retry still gets the charge already captured.
        await fixture.Items.UpdateItemAsync(new UpdateItemRequest { Item = new Item { Name = item.Name, Chargeable = false }, UpdateMask = new Google.Protobuf.WellKnownTypes.FieldMask { Paths = { "chargeable" } } });
        var retry = await Charges.CreateChargeAsync(new CreateChargeRequest { Charge = Charge(item.Name, 1m), RequestId = requestId });
        var listed = await ListAllAsync(new ListChargesRequest { Item = item.Name });

        Assert.Equal(first, retry);
        Assert.Equal(new[] { first.Name }, listed.Select(c => c.Name));
    }

    [Fact]
    public async Task CreateCharge_AfterThePriceChanged_IsPricedAtTheNewPrice()
    {
        var item = await CreateItemAsync(price: Money.Of("USD", 12.50m));
        var before = await Charges.CreateChargeAsync(new CreateChargeRequest { Charge = Charge(item.Name, 1m) });
        await fixture.Items.UpdateItemAsync(new UpdateItemRequest
        {
            Item = new Item { Name = item.Name, ChargePrice = Money.Of("USD", 20m) },
            UpdateMask = new FieldMask { Paths = { "charge_price" } },
        });

        // As shipped, charges' read cache of master data is off: the very next charge is priced at the new price.
        var after = await Charges.CreateChargeAsync(new CreateChargeRequest { Charge = Charge(item.Name, 1m) });

        Assert.Equal(12.50m, before.UnitPrice.ToDecimal());
        Assert.Equal(20m, after.UnitPrice.ToDecimal());
    }

    [Fact]
    public async Task CreateCharge_ItemsTheChargeMasterCannotPrice_AreFailedPrecondition()
    {
        var notChargeable = await CreateItemAsync(price: null, chargeable: false);
        var boxed = await CreateItemAsync(price: Money.Of("USD", 12.50m));
        var unknown = $"items/missing-{Guid.NewGuid():N}"[..30];

        var refusedNotChargeable = await CreateFailsAsync(Charge(notChargeable.Name, 1m));
        var refusedUnknown = await CreateFailsAsync(Charge(unknown, 1m));
        var refusedUnit = await CreateFailsAsync(Charge(boxed.Name, 1m, unit: "BX"));
        var listed = await ListAllAsync(new ListChargesRequest { Item = notChargeable.Name });

        Assert.Equal(StatusCode.FailedPrecondition, refusedNotChargeable.StatusCode);
        Assert.Contains($"{notChargeable.Name} is not chargeable", refusedNotChargeable.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.FailedPrecondition, refusedUnknown.StatusCode);
        Assert.Equal($"{unknown} does not exist in master data", refusedUnknown.Status.Detail);
        Assert.Equal(StatusCode.FailedPrecondition, refusedUnit.StatusCode);
        Assert.Contains("billing unit 'EA'", refusedUnit.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(listed);
        AssertNoPatientData(refusedNotChargeable, refusedUnknown, refusedUnit);
    }

    [Fact]
    public async Task CreateCharge_BadInput_NamesTheField_AndNeverThePatientData()
    {
        var item = await CreateItemAsync(price: Money.Of("USD", 12.50m));
        var cases = new (string Field, Action<PatientCharge> Break, string ChargeId)[]
        {
            ("charge.patient.mrn", c => c.Patient.Mrn = "", ""),
            ("charge.patient.encounter_id", c => c.Patient.EncounterId = " ", ""),
            ("charge.item", c => c.Item = "", ""),
            ("charge.quantity", c => c.Quantity = null, ""),
            ("charge.quantity must be positive", c => c.Quantity = Quantity.Of(0m, "EA"), ""),
            ("charge.quantity.unit", c => c.Quantity.Unit = "", ""),
            ("charge.service_time", c => c.ServiceTime = null, ""),
            ("charge.unit_price", c => c.UnitPrice = Money.Of("USD", -1m), ""),
            ("charge_id", _ => { }, Mrn),
        };

        foreach (var (field, breakIt, chargeId) in cases)
        {
            var charge = Charge(item.Name, 1m);
            breakIt(charge);
            var refused = await CreateFailsAsync(charge, chargeId);

            Assert.Equal((field, StatusCode.InvalidArgument), (field, refused.StatusCode));
            Assert.Contains(field, refused.Status.Detail, StringComparison.Ordinal);
            AssertNoPatientData(refused);
        }

        Assert.Empty(await ListAllAsync(new ListChargesRequest { Item = item.Name }));
    }

    [Fact]
    public async Task VoidCharge_VoidsOnce_ReVoidReturnsItUnchanged_StaleETagIsAborted()
    {
        var item = await CreateItemAsync(price: Money.Of("USD", 12.50m));
        var charge = await Charges.CreateChargeAsync(new CreateChargeRequest { Charge = Charge(item.Name, 1m) });
        var other = await Charges.CreateChargeAsync(new CreateChargeRequest { Charge = Charge(item.Name, 1m) });

        var noReason = await Assert.ThrowsAsync<RpcException>(() => Charges.VoidChargeAsync(new VoidChargeRequest { Name = charge.Name }).ResponseAsync);
        var voided = await Charges.VoidChargeAsync(new VoidChargeRequest { Name = charge.Name, Etag = charge.Etag, Reason = "entered-in-error", RequestId = "v1" });
        var again = await Charges.VoidChargeAsync(new VoidChargeRequest { Name = charge.Name, Etag = charge.Etag, Reason = "duplicate", RequestId = "v2" });
        var stale = await Assert.ThrowsAsync<RpcException>(() => Charges.VoidChargeAsync(new VoidChargeRequest { Name = other.Name, Etag = "999999", Reason = "duplicate" }).ResponseAsync);
        var missing = await Assert.ThrowsAsync<RpcException>(() => Charges.VoidChargeAsync(new VoidChargeRequest { Name = "charges/no-such-charge", Reason = "duplicate" }).ResponseAsync);
        var otherAfter = await Charges.GetChargeAsync(new GetChargeRequest { Name = other.Name });

        Assert.Equal((StatusCode.InvalidArgument, true), (noReason.StatusCode, noReason.Status.Detail.Contains("reason", StringComparison.Ordinal)));
        Assert.Equal((ChargeState.Voided, "entered-in-error"), (voided.State, voided.VoidReason));
        Assert.NotEqual(charge.Etag, voided.Etag);
        Assert.Equal(charge.TotalAmount, voided.TotalAmount);
        Assert.Equal(voided, again);
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.Equal(ChargeState.Captured, otherAfter.State);
    }

    [Fact]
    public async Task ListCharges_FiltersByItemAndState_AcrossPages()
    {
        var item = await CreateItemAsync(price: Money.Of("USD", 12.50m));
        var otherItem = await CreateItemAsync(price: Money.Of("USD", 12.50m));
        var mine = new List<PatientCharge>();
        for (var i = 0; i < 3; i++)
        {
            mine.Add(await Charges.CreateChargeAsync(new CreateChargeRequest { Charge = Charge(item.Name, 1m) }));
        }

        await Charges.CreateChargeAsync(new CreateChargeRequest { Charge = Charge(otherItem.Name, 1m) });
        await Charges.VoidChargeAsync(new VoidChargeRequest { Name = mine[0].Name, Reason = "duplicate" });

        var first = await Charges.ListChargesAsync(new ListChargesRequest { Item = item.Name, PageSize = 2 });
        var all = await ListAllAsync(new ListChargesRequest { Item = item.Name, PageSize = 2 });
        var voided = await ListAllAsync(new ListChargesRequest { Item = item.Name, State = ChargeState.Voided });
        var badToken = await Assert.ThrowsAsync<RpcException>(() => Charges.ListChargesAsync(new ListChargesRequest { PageToken = "not-a-token" }).ResponseAsync);

        Assert.Equal(2, first.Charges.Count);
        Assert.NotEmpty(first.NextPageToken);
        Assert.Equal(mine.Select(c => c.Name).Order(StringComparer.Ordinal), all.Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.Equal(new[] { mine[0].Name }, voided.Select(c => c.Name));
        Assert.Equal(StatusCode.InvalidArgument, badToken.StatusCode);
    }

    private Task<Item> CreateItemAsync(Money? price, bool chargeable = true) => fixture.CreateItemAsync(price, chargeable);

    private static PatientCharge Charge(string item, decimal quantity, string unit = "EA") => new()
    {
        Patient = new PatientReference { Mrn = Mrn, MrnSystem = "urn:oid:1.2.840.114350", EncounterId = Encounter },
        Item = item,
        Quantity = Quantity.Of(quantity, unit),
        ServiceTime = Timestamp.FromDateTime(new DateTime(2025, 3, 14, 9, 30, 0, DateTimeKind.Utc)),
        PerformingLocation = "locations/or-3",
        CostCenter = "costCenters/cc-4410",
        ClinicalOrderId = "ORD-99817",
    };

    private Task<RpcException> CreateFailsAsync(PatientCharge charge, string chargeId = "") =>
        Assert.ThrowsAsync<RpcException>(() => Charges.CreateChargeAsync(new CreateChargeRequest { Charge = charge, ChargeId = chargeId }).ResponseAsync);

    private async Task<List<PatientCharge>> ListAllAsync(ListChargesRequest request) =>
        (await Pages.AllAsync<PatientCharge>(async token =>
        {
            var page = await Charges.ListChargesAsync(new ListChargesRequest(request) { PageToken = token });
            return (page.Charges, page.NextPageToken);
        })).Items;

    private static void AssertNoPatientData(params RpcException[] errors)
    {
        foreach (var error in errors)
        {
            Assert.DoesNotContain(Mrn, error.Status.Detail, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Encounter, error.Status.Detail, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("ORD-99817", error.Status.Detail, StringComparison.OrdinalIgnoreCase);
        }
    }
}
