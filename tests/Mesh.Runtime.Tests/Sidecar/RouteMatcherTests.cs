using System.Text.Json;
using Mesh.Runtime.Sidecar.PubSub;

namespace Mesh.Runtime.Tests.Sidecar;

public sealed class RouteMatcherTests
{
    private static JsonElement Event(string json) => JsonDocument.Parse(json).RootElement;

    private static readonly JsonElement Payment = Event("""{"type":"payment.failed","source":"billing","data":{"amount":12.5,"count":3,"urgent":true,"tags":["a","b"],"note":null}}""");

    [Theory]
    [InlineData("event.type == \"payment.failed\"", true)]
    [InlineData("event.type != \"payment.failed\"", false)]
    [InlineData("event.type == \"a+b<c&d'é\"", false)]
    [InlineData("event.data.amount == 12.50", true)]
    [InlineData("event.data.amount > 10.0 && event.data.count >= 3", true)]
    [InlineData("event.data.urgent == true && event.type == \"payment.failed\"", true)]
    [InlineData("event.data.urgent == false || event.source == \"billing\"", true)]
    [InlineData("event.type.startsWith(\"payment.\") && !event.type.endsWith(\"ok\")", true)]
    [InlineData("has(event.data.amount) && !has(event.data.missing)", true)]
    [InlineData("\"b\" in event.data.tags && size(event.data.tags) == 2", true)]
    [InlineData("event.data.note == null", true)]
    [InlineData("event.source in [\"orders\", \"shipping\"]", false)]
    [InlineData("", true)]
    public void Matches_EvaluatesCel(string expression, bool expected)
    {
        Assert.Equal(expected, RouteMatcher.Matches(expression, Payment));
    }

    [Fact]
    public void Matches_StringWithCharactersJsonEscapes_ComparesTheValue()
    {
        var envelope = Event("""{"type":"a+b<c&d'é"}""");

        Assert.True(RouteMatcher.Matches("event.type == \"a+b<c&d'é\"", envelope));
    }

    [Theory]
    [InlineData("event.data.missing == \"x\"")]
    [InlineData("event.data.amount + \"x\" == \"y\"")]
    [InlineData("event.type")]
    public void Matches_RuleFailsOnTheEvent_ThrowsWithoutTheEventsValues(string expression)
    {
        var error = Assert.Throws<RouteEvaluationException>(() => RouteMatcher.Matches(expression, Payment));

        Assert.Contains(expression, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("payment.failed", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("12.5", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("event.type ==")]
    [InlineData("event.type = 'x'")]
    [InlineData("(event.type")]
    public void Validate_NotCel_NamesTheRule(string expression)
    {
        var error = Assert.Throws<FormatException>(() => RouteMatcher.Validate(expression));

        Assert.Contains($"routing rule '{expression}' is not valid CEL", error.Message, StringComparison.Ordinal);
    }
}
