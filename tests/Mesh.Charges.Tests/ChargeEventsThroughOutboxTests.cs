using Google.Protobuf.WellKnownTypes;
using Mesh.Charges.Domain;
using Mesh.Charges.Infrastructure;
using Mesh.Contracts.Charges.V1;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Resources;
using Mesh.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.Charges.Tests;

/// <summary>
/// Charges announce themselves: ChargeCaptured and ChargeVoided go out through the charges app's outbox store in the
/// transaction that saves the change, whoever called ChargeService, once per change however often it is asked for.
/// </summary>
public sealed class ChargeEventsThroughOutboxTests(ChargesFixture fixture) : IClassFixture<ChargesFixture>
{
    private const string Mrn = "MRN-3319026";

    [Fact]
    public async Task CreateAndVoid_DirectlyThroughChargeService_PublishChargeCapturedAndChargeVoidedOnceEach()
    {
        var item = await CreateItemAsync();
        var consumed = $"evt-{Guid.NewGuid():N}";
        var request = new CreateChargeRequest { Charge = Charge(item.Name, consumed), RequestId = $"{consumed}.charge" };

        var created = await fixture.Charges.CreateChargeAsync(request);
        await fixture.Charges.CreateChargeAsync(request);
        await fixture.Charges.VoidChargeAsync(new VoidChargeRequest { Name = created.Name, Reason = "duplicate", RequestId = $"{consumed}.void" });
        await fixture.Charges.VoidChargeAsync(new VoidChargeRequest { Name = created.Name, Reason = "duplicate", RequestId = $"{consumed}.void-again" });
        var events = await fixture.EventsAsync();

        var captured = Assert.Single(events.Of(ChargeCaptured.Descriptor.FullName, d => d["charge"]!.GetValue<string>() == created.Name));
        var voided = Assert.Single(events.Of(ChargeVoided.Descriptor.FullName, d => d["charge"]!.GetValue<string>() == created.Name));
        var capturedData = ChargeCaptured.Parser.ParseJson(captured["data"]!.ToJsonString());
        var voidedData = ChargeVoided.Parser.ParseJson(voided["data"]!.ToJsonString());
        Assert.Equal(("mesh/charges", "application/json"), (captured["source"]!.GetValue<string>(), captured["datacontenttype"]!.GetValue<string>()));
        Assert.StartsWith("outbox-", captured["id"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(($"{created.Name}.captured", consumed, consumed), (capturedData.Context.EventId, capturedData.Context.CausationId, capturedData.Context.CorrelationId));
        Assert.Equal((25m, "272-1001", item.Name, Mrn), (capturedData.Amount.ToDecimal(), capturedData.ChargeCode, capturedData.Item, capturedData.Patient.Mrn));
        Assert.Equal(($"{created.Name}.voided", $"{consumed}.void", consumed, "duplicate", 25m),
            (voidedData.Context.EventId, voidedData.Context.CausationId, voidedData.Context.CorrelationId, voidedData.Reason, voidedData.Amount.ToDecimal()));
        // The charge's other writes (its index bucket, its request id) publish under Dapr's default type with no data:
        // what they store never reaches the topic.
        Assert.All(events.Where(e => e["type"]!.GetValue<string>() == "com.dapr.event.sent"), e => Assert.Equal("", e["data"]!.GetValue<string>()));
    }

    [Fact]
    public async Task VoidCharge_RacingVoidsFromOneETag_AllAnswerVoided_AndOneChargeVoidedIsPublished()
    {
        var item = await CreateItemAsync();
        var created = await fixture.Charges.CreateChargeAsync(new CreateChargeRequest { Charge = Charge(item.Name, $"evt-{Guid.NewGuid():N}") });

        // Every void but one loses the ETag race on the same version; their transactions, and events, never commit.
        var voids = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            fixture.Charges.VoidChargeAsync(new VoidChargeRequest { Name = created.Name, Etag = created.Etag, Reason = "entered-in-error", RequestId = $"void-{i}" }).ResponseAsync));
        var events = await fixture.EventsAsync();

        Assert.All(voids, v => Assert.Equal(ChargeState.Voided, v.State));
        Assert.Single(events.Of(ChargeVoided.Descriptor.FullName, d => d["charge"]!.GetValue<string>() == created.Name));
    }

    [Fact]
    public async Task ChargeBook_Capture_StampsItsClocksTime_OnTheChargeAndItsEvent()
    {
        var item = await CreateItemAsync();
        var start = new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero);
        var clock = new FakeTimeProvider(start);
        var events = new ContractEvents("charges-outbox", "mesh/charges");
        var book = new ChargeBook(new ResourceStore<PatientCharge>(fixture.ChargesDapr, "statestore", "charge", events), new MasterDataChargeMaster(fixture.Items), events, clock);

        var captured = await book.CaptureAsync(Charge(item.Name, $"evt-{Guid.NewGuid():N}"), "", "", CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(5));
        var voided = await book.VoidAsync(ChargeBook.Charges.IdOf(captured.Name, "name"), "duplicate", "", "", CancellationToken.None);
        var announced = Assert.Single((await fixture.EventsAsync()).Of(ChargeCaptured.Descriptor.FullName, d => d["charge"]!.GetValue<string>() == captured.Name));

        Assert.Equal((start, start), (captured.CreateTime.ToDateTimeOffset(), captured.UpdateTime.ToDateTimeOffset()));
        Assert.Equal(start.AddMinutes(5), voided.UpdateTime.ToDateTimeOffset());
        Assert.Equal(start, ChargeCaptured.Parser.ParseJson(announced["data"]!.ToJsonString()).Context.OccurTime.ToDateTimeOffset());
    }

    private async Task<Item> CreateItemAsync() =>
        await fixture.Items.CreateItemAsync(new CreateItemRequest
        {
            Item = new Item
            {
                Description = "Skin stapler, 35 wide staples",
                StockingUnit = "EA",
                Chargeable = true,
                ChargeCode = "272-1001",
                ChargePrice = Money.Of("USD", 12.50m),
            },
        });

    private static PatientCharge Charge(string item, string sourceEvent) => new()
    {
        Patient = new PatientReference { Mrn = Mrn, MrnSystem = "urn:oid:1.2.840.114350", EncounterId = "ENC-1" },
        Item = item,
        Quantity = Quantity.Of(2m, "EA"),
        ServiceTime = Timestamp.FromDateTime(new DateTime(2025, 3, 14, 9, 30, 0, DateTimeKind.Utc)),
        SourceEventId = sourceEvent,
    };
}
