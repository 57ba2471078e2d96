using Mesh.Contracts.Type.V1;

namespace Mesh.Contracts.Tests;

public sealed class ExactAmountTests
{
    [Theory]
    [InlineData("12.50", 12, 500_000_000)]
    [InlineData("-0.75", 0, -750_000_000)]
    [InlineData("-3.000000001", -3, -1)]
    [InlineData("0.1", 0, 100_000_000)]
    public void Money_RoundTripsThroughDecimal_WithUnitsAndNanosOfOneSign(string amount, long units, int nanos)
    {
        var value = decimal.Parse(amount, System.Globalization.CultureInfo.InvariantCulture);

        var money = Money.Of("USD", value);

        Assert.Equal((units, nanos), (money.Units, money.Nanos));
        Assert.Equal(value, money.ToDecimal());
    }

    [Fact]
    public void PriceTimesQuantity_IsExact_WhereDoublesAreNot()
    {
        var price = Money.Of("USD", 0.1m);
        var quantity = Quantity.Of(3, "EA");

        var total = Money.Of(price.CurrencyCode, price.ToDecimal() * quantity.ToDecimal());

        Assert.Equal((0L, 300_000_000), (total.Units, total.Nanos));
        Assert.Equal("0.30 USD", total.Display());
        Assert.Equal("3 EA", quantity.Display());
    }
}
