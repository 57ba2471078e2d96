using Mesh.Runtime.Configuration;

namespace Mesh.Runtime.Tests.Configuration;

public sealed class DaprDurationTests
{
    [Theory]
    [InlineData("500ms", 5_000_000)]
    [InlineData("1.5s", 15_000_000)]
    [InlineData("2m", 1_200_000_000)]
    [InlineData("1h30m", 54_000_000_000)]
    [InlineData("1m30s250ms", 902_500_000)]
    [InlineData(".5s", 5_000_000)]
    [InlineData("-3s", -30_000_000)]
    [InlineData("+1s", 10_000_000)]
    [InlineData("15us", 150)]
    [InlineData("15\u00b5s", 150)]
    [InlineData("15\u03bcs", 150)]
    [InlineData("250ns", 2)]
    [InlineData("0", 0)]
    [InlineData("1500", 15_000_000)]
    [InlineData("-20", -200_000)]
    public void Parse_GoDurationOrBareMilliseconds_GivesTicks(string text, long ticks) =>
        Assert.Equal(TimeSpan.FromTicks(ticks), DaprDuration.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("5d")]
    [InlineData("1s5")]
    [InlineData("s")]
    [InlineData("1..5s")]
    [InlineData("1.2.3s")]
    [InlineData("--1s")]
    [InlineData("1e3ms")]
    [InlineData(" 1s")]
    [InlineData("1 s")]
    [InlineData("99999999999999999999h")]
    public void Parse_NotADuration_ThrowsFormatExceptionNamingIt(string text)
    {
        var error = Assert.Throws<FormatException>(() => DaprDuration.Parse(text));

        Assert.Equal($"'{text}' is not a duration (e.g. 500ms, 1.5s, 2m, 1h30m; a bare number is milliseconds)", error.Message);
        Assert.False(DaprDuration.TryParse(text, out _));
    }

    [Fact]
    public void TryParse_Null_IsFalse() => Assert.False(DaprDuration.TryParse(null, out _));
}
