using System.Text.Json;
using Mesh.Runtime.Sidecar.PubSub;

namespace Mesh.Runtime.Tests.Sidecar;

public sealed class RouteMatcherTests
{
    private static JsonElement Event(string json) => JsonDocument.Parse(json).RootElement;

    [Theory]
    [InlineData("event.type == \"payment.failed\"", true)]
    [InlineData("event.type != \"payment.failed\"", false)]
    [InlineData("event.type == \"a+b<c&d'é\"", false)]
    [InlineData("event.data.amount == 12.50", true)]
    [InlineData("event.data.urgent == true && event.type == \"payment.failed\"", true)]
    [InlineData("event.data.urgent == false || event.source == \"billing\"", true)]
    [InlineData("event.data.missing == \"x\"", false)]
    [InlineData("event.data.amount == 99999999999999999999999999999999", false)]
    public void Matches_EvaluatesTheSupportedSubset(string expression, bool expected)
    {
        var envelope = Event("""{"type":"payment.failed","source":"billing","data":{"amount":12.5,"urgent":true}}""");

        Assert.Equal(expected, RouteMatcher.Matches(expression, envelope));
    }

    [Fact]
    public void Matches_StringWithCharactersJsonEscapes_ComparesTheValue()
    {
        var envelope = Event("""{"type":"a+b<c&d'é"}""");

        Assert.True(RouteMatcher.Matches("event.type == \"a+b<c&d'é\"", envelope));
    }

    [Theory]
    [InlineData("event.type.startsWith(\"pay\")")]
    [InlineData("has(event.data)")]
    [InlineData("event.type > 3")]
    public void Validate_OutsideTheSubset_NamesTheRule(string expression)
    {
        var error = Assert.Throws<FormatException>(() => RouteMatcher.Validate(expression));

        Assert.Contains(expression, error.Message, StringComparison.Ordinal);
    }
}
