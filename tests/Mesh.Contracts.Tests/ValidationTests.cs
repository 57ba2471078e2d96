using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Mesh.Contracts.MasterData.V1;
using Mesh.Contracts.Options.V1;
using Mesh.Contracts.Tests.Fixtures;
using Mesh.Contracts.Type.V1;
using Mesh.Contracts.Validation;

namespace Mesh.Contracts.Tests;

public class ValidationTests
{
    [Theory]
    [InlineData("96385074", true)]
    [InlineData("036000291452", true)]
    [InlineData("4006381333931", true)]
    [InlineData("10705031012349", true)]
    [InlineData("10705031012345", false)]
    [InlineData("036000291453", false)]
    [InlineData("12", false)]
    [InlineData("0360002914521", false)]
    [InlineData("03600029145a", false)]
    public void IsGtin_ChecksLengthDigitsAndCheckDigit(string value, bool expected) =>
        Assert.Equal(expected, WellKnownFormats.IsGtin(value));

    [Theory]
    [InlineData("1234567893", true)]
    [InlineData("1245319599", true)]
    [InlineData("1234567890", false)]
    [InlineData("123456789", false)]
    [InlineData("12345678930", false)]
    [InlineData("123456789X", false)]
    public void IsNpi_ChecksLuhnWithThe80840Prefix(string value, bool expected) =>
        Assert.Equal(expected, WellKnownFormats.IsNpi(value));

    [Theory]
    [InlineData(StringFormat.Iso4217, "USD", true)]
    [InlineData(StringFormat.Iso4217, "usd", false)]
    [InlineData(StringFormat.Iso4217, "XYZ", false)]
    [InlineData(StringFormat.Uuid, "0b6d3f0e-6c1a-4a57-9f3e-2f1d1b8c9a10", true)]
    [InlineData(StringFormat.Uuid, "0b6d3f0e6c1a4a579f3e2f1d1b8c9a10", false)]
    public void Matches_CurrencyAndUuid(StringFormat format, string value, bool expected) =>
        Assert.Equal(expected, WellKnownFormats.Matches(format, value));

    [Fact]
    public void Validate_CreateItemWithShortGtin_NamesItemGtinAndTheRuleNotTheValue()
    {
        var violations = ContractValidator.Validate(new CreateItemRequest { Item = new Item { Description = "Gauze", StockingUnit = "EA", Gtin = "98765" } });

        var violation = Assert.Single(violations);
        Assert.Equal(("item.gtin", "string.format.gtin"), (violation.Field, violation.Rule));
        Assert.DoesNotContain("98765", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ValidItem_HasNoViolations()
    {
        var request = new CreateItemRequest
        {
            Item = new Item
            {
                Description = "Gauze 4x4", StockingUnit = "EA", Gtin = "10705031012349", UnspscCode = "42312201", RevenueCode = "0272", HcpcsCode = "A4649",
                ChargePrice = new Money { CurrencyCode = "USD", Units = 3, Nanos = 500_000_000 },
                SupplierPartNumbers = { new SupplierPartNumber { Supplier = "suppliers/acme", PartNumber = "A-1" } },
            },
        };

        Assert.Empty(ContractValidator.Validate(request));
    }

    [Fact]
    public void Validate_NestedRepeatedAndRequired_NamesEachPath()
    {
        var request = new CreateItemRequest
        {
            Item = new Item
            {
                UnspscCode = "4231",
                ChargePrice = new Money { CurrencyCode = "US$", Nanos = 1_000_000_000 },
                SupplierPartNumbers = { new SupplierPartNumber { Supplier = "suppliers/acme", PartNumber = "A-1" }, new SupplierPartNumber { Supplier = "acme", PartNumber = "A-2" } },
            },
        };

        var violations = ContractValidator.Validate(request).Select(v => (v.Field, v.Rule)).ToList();

        Assert.Equal(
            [
                ("item.unspsc_code", "string.pattern"),
                ("item.supplier_part_numbers[1].supplier", "string.pattern"),
                ("item.charge_price.currency_code", "string.format.iso4217"),
                ("item.charge_price.nanos", "integer.lte"),
            ],
            violations);
        Assert.Equal(("item", "required"), Assert.Single(ContractValidator.Validate(new CreateItemRequest()), v => true) is var v ? (v.Field, v.Rule) : default);
    }

    [Fact]
    public void Validate_MapValuesRepeatedScalarsAndAny_AreChecked()
    {
        var batch = new ChargeBatch
        {
            BatchId = "not-a-uuid",
            Priority = 0,
            Label = "x",
            Npis = { "1234567893", "1234567890", "1245319599", "1234567893" },
            Totals = { ["or-3"] = new Money { CurrencyCode = "ZZZ" } },
            Attachments = { Any.Pack(new Money { CurrencyCode = "EUR", Nanos = -1_000_000_000 }) },
        };

        var violations = ContractValidator.Validate(batch).Select(v => (v.Field, v.Rule)).ToHashSet();

        Assert.Equal(
            new HashSet<(string, string)>
            {
                ("npis", "repeated.max_items"),
                ("npis[1]", "string.format.npi"),
                ("batch_id", "string.format.uuid"),
                ("priority", "integer.gte"),
                ("label", "string.min_len"),
                ("totals[or-3].currency_code", "string.format.iso4217"),
                ("attachments[0].nanos", "integer.gte"),
            },
            violations);
        Assert.Contains(("batch_id", "required"), ContractValidator.Validate(new ChargeBatch { Priority = 1 }).Select(v => (v.Field, v.Rule)));
    }

    [Fact]
    public void ToRpcException_CarriesBadRequestWithEveryViolation()
    {
        var violations = ContractValidator.Validate(new CreateItemRequest { Item = new Item { Gtin = "12", RevenueCode = "27" } });

        var error = ContractViolations.ToRpcException(violations);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("item.gtin", error.Status.Detail, StringComparison.Ordinal);
        var status = Google.Rpc.Status.Parser.ParseFrom(error.Trailers.GetValueBytes(ContractViolations.StatusDetailsTrailer));
        var badRequest = status.Details.Single().Unpack<BadRequest>();
        Assert.Equal(["item.gtin", "item.revenue_code"], badRequest.FieldViolations.Select(f => f.Field));
        Assert.Equal(["string.format.gtin", "string.pattern"], badRequest.FieldViolations.Select(f => f.Reason));
    }

    [Fact]
    public void HasConstraints_IsTrueForConstrainedTrees()
    {
        Assert.True(ContractValidator.HasConstraints(CreateItemRequest.Descriptor));
        Assert.False(ContractValidator.HasConstraints(GetItemRequest.Descriptor));
    }
}
