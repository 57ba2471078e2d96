using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Charges.Domain;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Resources;

namespace Mesh.Charges.Tests;

/// <summary>The charge rules and events as plain classes: no sidecar, no gRPC.</summary>
public sealed class ChargeRulesTests
{
    [Theory]
    [InlineData("0.25", "0.5", "0.12")]
    [InlineData("0.35", "0.5", "0.18")]
    [InlineData("0.35", "2.9", "1.02")]
    [InlineData("12.50", "3", "37.50")]
    public void Total_IsTheExactProductRoundedHalfToEvenToCents(string price, string quantity, string total)
    {
        var amount = ChargeRules.Total(Money.Of("USD", decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture)), Quantity.Of(decimal.Parse(quantity, System.Globalization.CultureInfo.InvariantCulture), "EA"));

        Assert.Equal((decimal.Parse(total, System.Globalization.CultureInfo.InvariantCulture), "USD"), (amount.ToDecimal(), amount.CurrencyCode));
    }

    [Fact]
    public void Price_DefaultsCodesAndPriceFromTheChargeMaster_KeepingWhatTheCallerGave()
    {
        var charge = Draft(2m);
        charge.ChargeCode = "272-9999";

        ChargeRules.Price(charge, Chargeable());

        Assert.Equal(("272-9999", "A4649", "0272", 12.5m, 25m), (charge.ChargeCode, charge.HcpcsCode, charge.RevenueCode, charge.UnitPrice.ToDecimal(), charge.TotalAmount.ToDecimal()));
    }

    [Fact]
    public void Price_UnchargeableOtherUnitOrUnpriced_IsFailedPreconditionNamingTheRule()
    {
        var unchargeable = Chargeable();
        unchargeable.Chargeable = false;
        var boxed = Chargeable();
        boxed.BillingUnit = "BX";
        var unpriced = Chargeable();
        unpriced.ChargePrice = null;

        var refusals = new[] { unchargeable, boxed, unpriced }.Select(item => Assert.Throws<RpcException>(() => ChargeRules.Price(Draft(1m), item))).ToList();

        Assert.All(refusals, r => Assert.Equal(StatusCode.FailedPrecondition, r.StatusCode));
        Assert.StartsWith("items/stapler is not chargeable", refusals[0].Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("charge.quantity.unit 'EA' is not the billing unit 'BX'", refusals[1].Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("items/stapler has no positive charge_price", refusals[2].Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateChargeId_Malformed_IsInvalidArgumentWithoutTheValue()
    {
        ChargeRules.ValidateChargeId("");
        ChargeRules.ValidateChargeId("c-1");
        var refused = Assert.Throws<RpcException>(() => ChargeRules.ValidateChargeId("MRN-7734215"));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.DoesNotContain("7734215", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateVoidReason_MissingOrFreeText_IsInvalidArgument()
    {
        var missing = Assert.Throws<RpcException>(() => ChargeRules.ValidateVoidReason(" "));
        var tooLong = Assert.Throws<RpcException>(() => ChargeRules.ValidateVoidReason(new string('x', ChargeRules.MaxReasonLength + 1)));

        Assert.StartsWith("reason is required", missing.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("reason must be a short code", tooLong.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Events_CarryTheChargeAndItsConsumption_WithIdsDerivedFromTheCharge()
    {
        var events = new ContractEvents("charges-outbox", "mesh/charges");
        var charge = Draft(2m);
        ChargeRules.Price(charge, Chargeable());
        charge.Name = "charges/c-1";
        charge.SourceEventId = "evt-1";
        charge.CreateTime = Timestamp.FromDateTime(new DateTime(2025, 3, 14, 10, 0, 0, DateTimeKind.Utc));
        charge.UpdateTime = Timestamp.FromDateTime(new DateTime(2025, 3, 14, 11, 0, 0, DateTimeKind.Utc));
        charge.VoidReason = "duplicate";

        var captured = ChargeEvents.Captured(events, charge, "evt-1.charge");
        var voided = ChargeEvents.Voided(events, charge, "evt-1.void");

        Assert.Equal(("charges/c-1.captured", "evt-1", "evt-1", "mesh/charges", charge.CreateTime), (captured.Context.EventId, captured.Context.CausationId, captured.Context.CorrelationId, captured.Context.Source, captured.Context.OccurTime));
        Assert.Equal((charge.Patient, 25m, "272-1001"), (captured.Patient, captured.Amount.ToDecimal(), captured.ChargeCode));
        Assert.Equal(("charges/c-1.voided", "evt-1.void", "evt-1", charge.UpdateTime, "duplicate"), (voided.Context.EventId, voided.Context.CausationId, voided.Context.CorrelationId, voided.Context.OccurTime, voided.Reason));
    }

    private static Item Chargeable() => new()
    {
        Name = "items/stapler",
        StockingUnit = "EA",
        Chargeable = true,
        ChargeCode = "272-1001",
        HcpcsCode = "A4649",
        RevenueCode = "0272",
        ChargePrice = Money.Of("USD", 12.50m),
    };

    private static PatientCharge Draft(decimal quantity) => new()
    {
        Patient = new PatientReference { Mrn = "MRN-7734215", EncounterId = "ENC-1" },
        Item = "items/stapler",
        Quantity = Quantity.Of(quantity, "EA"),
        ServiceTime = Timestamp.FromDateTime(new DateTime(2025, 3, 14, 9, 30, 0, DateTimeKind.Utc)),
    };
}
