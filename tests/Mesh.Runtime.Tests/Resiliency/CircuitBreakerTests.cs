using Mesh.Runtime.Configuration;
using Mesh.Runtime.Sidecar.Resiliency;

namespace Mesh.Runtime.Tests.Resiliency;

/// <summary>The breaker's state machine (sony/gobreaker's, as daprd uses it) on a fake clock.</summary>
public sealed class CircuitBreakerTests
{
    private readonly TestClock clock = new();

    [Fact]
    public void Trip_AfterTheExpressionHolds_OpensAndRefusesCalls()
    {
        var breaker = Breaker(trip: "consecutiveFailures > 2");

        Fail(breaker);
        Fail(breaker);
        Assert.Equal(CircuitState.Closed, breaker.State);
        Fail(breaker);

        Assert.Equal(CircuitState.Open, breaker.State);
        var error = Assert.Throws<CircuitOpenException>(() => breaker.Enter());
        Assert.Contains("circuit breaker is open", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Success_ResetsConsecutiveFailures()
    {
        var breaker = Breaker(trip: "consecutiveFailures > 1");

        Fail(breaker);
        Succeed(breaker);
        Fail(breaker);

        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void Timeout_HalfOpenLetsMaxRequestsThrough_ThatManySuccessesClose()
    {
        var breaker = Breaker(trip: "consecutiveFailures > 0", maxRequests: 2, timeout: TimeSpan.FromSeconds(30));
        Fail(breaker);

        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(CircuitState.Open, breaker.State);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(CircuitState.HalfOpen, breaker.State);

        var first = breaker.Enter();
        var second = breaker.Enter();
        Assert.Contains("too many requests", Assert.Throws<CircuitOpenException>(() => breaker.Enter()).Message, StringComparison.Ordinal);
        breaker.Exit(first, success: true);
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        breaker.Exit(second, success: true);
        Assert.Equal(CircuitState.Closed, breaker.State);
    }

    [Fact]
    public void HalfOpen_OneFailure_OpensAgainForAnotherTimeout()
    {
        var breaker = Breaker(trip: "consecutiveFailures > 0", timeout: TimeSpan.FromSeconds(10));
        Fail(breaker);
        clock.Advance(TimeSpan.FromSeconds(10));

        Fail(breaker);

        Assert.Equal(CircuitState.Open, breaker.State);
        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(CircuitState.Open, breaker.State);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
    }

    [Fact]
    public void Interval_ClearsTheCountsOfAClosedBreaker()
    {
        var breaker = Breaker(trip: "totalFailures >= 2", interval: TimeSpan.FromSeconds(5));
        Fail(breaker);

        clock.Advance(TimeSpan.FromSeconds(5));
        Fail(breaker);

        Assert.Equal(CircuitState.Closed, breaker.State);
        Fail(breaker);
        Assert.Equal(CircuitState.Open, breaker.State);
    }

    [Fact]
    public void Exit_OfACallFromAnEarlierGeneration_IsNotCounted()
    {
        var breaker = Breaker(trip: "consecutiveFailures > 0", timeout: TimeSpan.FromSeconds(1));
        var slow = breaker.Enter();
        Fail(breaker);
        clock.Advance(TimeSpan.FromSeconds(1));

        breaker.Exit(slow, success: false);

        Assert.Equal(CircuitState.HalfOpen, breaker.State);
    }

    [Theory]
    [InlineData("consecutiveFailures >")]
    [InlineData("failures > 3")]
    [InlineData("requests + 1")]
    public void ValidateTrip_NotABooleanOverTheCounts_Throws(string trip)
    {
        var error = Assert.Throws<FormatException>(() => CircuitBreaker.ValidateTrip(trip));

        Assert.Contains($"'{trip}'", error.Message, StringComparison.Ordinal);
    }

    private CircuitBreaker Breaker(string trip, int maxRequests = 1, TimeSpan? interval = null, TimeSpan? timeout = null) =>
        new(new CircuitBreakerPolicy("cb", maxRequests, interval ?? TimeSpan.Zero, timeout ?? TimeSpan.FromSeconds(60), trip), clock);

    private static void Fail(CircuitBreaker breaker) => breaker.Exit(breaker.Enter(), success: false);

    private static void Succeed(CircuitBreaker breaker) => breaker.Exit(breaker.Enter(), success: true);
}
