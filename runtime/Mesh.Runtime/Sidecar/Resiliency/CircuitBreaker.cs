using Cel;
using Mesh.Runtime.Configuration;

namespace Mesh.Runtime.Sidecar.Resiliency;

/// <summary>The state of a <see cref="CircuitBreaker"/>.</summary>
public enum CircuitState
{
    /// <summary>Calls go through and are counted.</summary>
    Closed,

    /// <summary>Calls fail at once, until the policy's timeout has passed.</summary>
    Open,

    /// <summary>Up to maxRequests calls go through; that many successes close it, one failure opens it again.</summary>
    HalfOpen,
}

/// <summary>
/// A Dapr circuit breaker: sony/gobreaker's state machine, which daprd uses, with the policy's <c>trip</c> CEL
/// expression over the counts <c>requests</c>, <c>totalSuccesses</c>, <c>totalFailures</c>,
/// <c>consecutiveSuccesses</c> and <c>consecutiveFailures</c>. Counts start over with each state change (a
/// "generation"), and every <c>interval</c> while closed when that is set; results of calls that began in an earlier
/// generation are not counted. Time is the sidecar's clock.
/// </summary>
public sealed class CircuitBreaker
{
    private static readonly CelEnvironment Environment = new([], "");

    private readonly CircuitBreakerPolicy policy;
    private readonly TimeProvider time;
    private readonly CelProgramDelegate trip;
    private readonly Lock gate = new();
    private CircuitState state = CircuitState.Closed;
    private long generation;
    private DateTimeOffset? expiry;
    private long requests, totalSuccesses, totalFailures, consecutiveSuccesses, consecutiveFailures;

    /// <summary>A closed breaker for <paramref name="policy"/>.</summary>
    public CircuitBreaker(CircuitBreakerPolicy policy, TimeProvider time)
    {
        this.policy = policy;
        this.time = time;
        trip = Compile(policy.Trip);
        NewGeneration(time.GetUtcNow());
    }

    /// <summary>The state now.</summary>
    public CircuitState State
    {
        get
        {
            lock (gate)
            {
                return Current(time.GetUtcNow());
            }
        }
    }

    /// <summary>Checks that <paramref name="expression"/> is a CEL expression over the counts that gives a boolean.</summary>
    /// <exception cref="FormatException">It is not; the message names the expression.</exception>
    public static void ValidateTrip(string expression)
    {
        object? result;
        try
        {
            result = Compile(expression)(Counts(0, 0, 0, 0, 0));
        }
        catch (CelException e)
        {
            throw new FormatException($"'{expression}' is not a trip expression over requests, totalSuccesses, totalFailures, consecutiveSuccesses and consecutiveFailures: {e.Message}");
        }

        if (result is not bool)
        {
            throw new FormatException($"'{expression}' does not give true or false");
        }
    }

    /// <summary>Starts a call: its generation, to pass to <see cref="Exit"/>.</summary>
    /// <exception cref="CircuitOpenException">The breaker is open, or half-open with maxRequests calls already let through.</exception>
    public long Enter()
    {
        lock (gate)
        {
            var current = Current(time.GetUtcNow());
            if (current == CircuitState.Open)
            {
                throw new CircuitOpenException(policy.Name, "circuit breaker is open");
            }

            if (current == CircuitState.HalfOpen && requests >= policy.MaxRequests)
            {
                throw new CircuitOpenException(policy.Name, "too many requests");
            }

            requests++;
            return generation;
        }
    }

    /// <summary>Counts the result of a call that <see cref="Enter"/> let through.</summary>
    public void Exit(long entered, bool success)
    {
        lock (gate)
        {
            var now = time.GetUtcNow();
            var current = Current(now);
            if (entered != generation)
            {
                return;
            }

            if (success)
            {
                totalSuccesses++;
                consecutiveSuccesses++;
                consecutiveFailures = 0;
                if (current == CircuitState.HalfOpen && consecutiveSuccesses >= policy.MaxRequests)
                {
                    Move(CircuitState.Closed, now);
                }
            }
            else
            {
                totalFailures++;
                consecutiveFailures++;
                consecutiveSuccesses = 0;
                if (current == CircuitState.HalfOpen || (current == CircuitState.Closed && Trips()))
                {
                    Move(CircuitState.Open, now);
                }
            }
        }
    }

    private static CelProgramDelegate Compile(string expression)
    {
        try
        {
            return Environment.Compile(expression);
        }
        catch (CelException e)
        {
            throw new FormatException($"'{expression}' is not valid CEL: {e.Message}");
        }
    }

    private static Dictionary<string, object?> Counts(long requests, long totalSuccesses, long totalFailures, long consecutiveSuccesses, long consecutiveFailures) => new()
    {
        ["requests"] = requests,
        ["totalSuccesses"] = totalSuccesses,
        ["totalFailures"] = totalFailures,
        ["consecutiveSuccesses"] = consecutiveSuccesses,
        ["consecutiveFailures"] = consecutiveFailures,
    };

    private bool Trips() => trip(Counts(requests, totalSuccesses, totalFailures, consecutiveSuccesses, consecutiveFailures)) is true;

    private CircuitState Current(DateTimeOffset now)
    {
        if (expiry is { } until && until <= now)
        {
            if (state == CircuitState.Closed)
            {
                NewGeneration(now);
            }
            else if (state == CircuitState.Open)
            {
                Move(CircuitState.HalfOpen, now);
            }
        }

        return state;
    }

    private void Move(CircuitState to, DateTimeOffset now)
    {
        if (state != to)
        {
            state = to;
            NewGeneration(now);
        }
    }

    private void NewGeneration(DateTimeOffset now)
    {
        generation++;
        requests = totalSuccesses = totalFailures = consecutiveSuccesses = consecutiveFailures = 0;
        expiry = state switch
        {
            CircuitState.Closed when policy.Interval > TimeSpan.Zero => now + policy.Interval,
            CircuitState.Open => now + policy.Timeout,
            _ => null,
        };
    }
}

/// <summary>A call refused by an open (or saturated half-open) circuit breaker; never retried, as in daprd.</summary>
public sealed class CircuitOpenException(string policy, string reason) : Exception($"{reason} (circuit breaker '{policy}')");
