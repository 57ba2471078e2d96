using Mesh.Runtime.Configuration;
using Mesh.Runtime.Tests.Configuration;

namespace Mesh.Runtime.Tests.Resiliency;

/// <summary>Circuit breakers, matching and refused targets in Resiliency files.</summary>
public sealed class ResiliencyResourceTests : IDisposable
{
    private const string Head = "apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata:\n  name: r\nspec:\n";

    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void Load_CircuitBreakerWithoutFields_TakesGobreakersDefaults()
    {
        folder.Write("c/r.yaml", Head + "  policies:\n    circuitBreakers:\n      cb: {}\n  targets:\n    components:\n      store:\n        outbound:\n          circuitBreaker: cb\n");

        var (_, resiliency) = ResourceLoader.Load([folder.Path + "/c"], "orders");

        Assert.Equal(new CircuitBreakerPolicy("cb", 1, TimeSpan.Zero, TimeSpan.FromSeconds(60), "consecutiveFailures > 5"), resiliency.ComponentOutbound["store"].CircuitBreaker);
    }

    [Theory]
    [InlineData("      cb:\n        trip: consecutiveFailures >\n", "9:15: spec.policies.circuitBreakers.cb.trip: 'consecutiveFailures >' is not valid CEL")]
    [InlineData("      cb:\n        trip: failures > 3\n", "9:15: spec.policies.circuitBreakers.cb.trip: 'failures > 3' is not a trip expression")]
    [InlineData("      cb:\n        maxRequests: many\n", "9:22: spec.policies.circuitBreakers.cb.maxRequests: 'many' is not a whole number")]
    public void Load_BadCircuitBreaker_RefusedAtTheField(string breaker, string expected)
    {
        var path = folder.Write("c/r.yaml", Head + "  policies:\n    circuitBreakers:\n" + breaker);

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.StartsWith($"{path}:{expected}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("  targets:\n    actors:\n      cart: {}\n", "7:5: spec.targets.actors: actor targets are not supported by Mesh")]
    [InlineData("  targets:\n    apps:\n      billing:\n        circuitBreakerCacheSize: 10\n", "9:9: spec.targets.apps.billing.circuitBreakerCacheSize: is not supported by Mesh")]
    [InlineData("  policies:\n    retries:\n      r:\n        matching:\n          httpStatusCodes: 500-700\n", "10:28: spec.policies.retries.r.matching.httpStatusCodes: '500-700' is not a list of status codes")]
    [InlineData("  policies:\n    retries:\n      r:\n        matching:\n          gRPCStatusCodes: \"14\"\n  targets:\n    components:\n      bus:\n        inbound:\n          retry: r\n", "15:18: spec.targets.components.bus.inbound.retry: retry policy 'r' has matching status codes")]
    public void Load_SettingMeshDoesNotApply_Refused(string spec, string expected)
    {
        var path = folder.Write("c/r.yaml", Head + spec);

        var error = Assert.Throws<ConfigurationException>(() => ResourceLoader.Load([folder.Path + "/c"], "orders"));

        Assert.StartsWith($"{path}:{expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RetriesHttp_WithAndWithoutMatching()
    {
        var plain = new RetryPolicy("r", false, TimeSpan.Zero, TimeSpan.Zero, 1);
        var matching = plain with { HttpStatusCodes = "429,502-503" };

        Assert.Equal([false, true, true], new[] { 429, 500, 503 }.Select(plain.RetriesHttp));
        Assert.Equal([true, false, true, true, false], new[] { 429, 500, 502, 503, 504 }.Select(matching.RetriesHttp));
    }
}
