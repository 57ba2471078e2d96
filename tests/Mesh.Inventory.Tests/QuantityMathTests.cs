using Grpc.Core;
using Mesh.Contracts.Type.V1;
using Mesh.Inventory.Domain;

namespace Mesh.Inventory.Tests;

public sealed class QuantityMathTests
{
    [Fact]
    public void Plus_IsExact_AcrossTheUnitBoundary_AndKeepsOneSign()
    {
        var sum = new Quantity { Units = 2, Nanos = 300_000_000, Unit = "mL" }.Plus(new Quantity { Units = -2, Nanos = -700_000_000, Unit = "mL" });

        Assert.Equal((0L, -400_000_000, "mL"), (sum.Units, sum.Nanos, sum.Unit));
        Assert.Equal(-1, sum.Sign());
    }

    [Fact]
    public void TenthsAddUpExactly_WhereDoublesDoNot()
    {
        var total = QuantityMath.Zero("mL");
        for (var i = 0; i < 10; i++)
        {
            total = total.Plus(new Quantity { Nanos = 100_000_000, Unit = "mL" });
        }

        Assert.True(total.SameAs(new Quantity { Units = 1, Unit = "mL" }));
        Assert.Equal(0, total.CompareAmount(new Quantity { Units = 1, Unit = "BX" }));
        Assert.False(total.SameAs(new Quantity { Units = 1, Unit = "BX" }));
    }

    [Theory]
    [InlineData(1, -5, "EA", "delta.nanos")]
    [InlineData(0, 1_000_000_000, "EA", "delta.nanos")]
    [InlineData(1, 0, "", "delta.unit")]
    [InlineData(1_000_000_000_000, 0, "EA", "delta must be less than")]
    public void Require_RefusesMalformedQuantities_NamingTheField(long units, int nanos, string unit, string named)
    {
        var error = Assert.Throws<RpcException>(() => QuantityMath.Require(new Quantity { Units = units, Nanos = nanos, Unit = unit }, "delta"));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(named, error.Status.Detail, StringComparison.Ordinal);
    }
}
