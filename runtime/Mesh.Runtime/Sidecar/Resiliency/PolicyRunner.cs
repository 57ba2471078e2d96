using Mesh.Runtime.Configuration;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Mesh.Runtime.Sidecar.Resiliency;

/// <summary>
/// Runs calls to one target under its Dapr policies, nested as daprd nests them: the retry policy around the circuit
/// breaker around the timeout of each attempt. Retries and timeouts are Polly pipelines on the sidecar's clock; an open
/// breaker fails the call at once and is not retried. Which exceptions are failures (counted by the breaker, and
/// retried when the retry policy's matching allows) is the caller's call: an ETag mismatch, say, is an answer.
/// </summary>
public sealed class PolicyRunner
{
    private readonly ResiliencePipeline retries;
    private readonly ResiliencePipeline timeout;
    private readonly Func<Exception, bool> isFailure;

    private PolicyRunner(TargetPolicies policies, TimeProvider time, Func<Exception, bool> isFailure, Func<Exception, RetryPolicy, bool> isRetriable)
    {
        this.isFailure = isFailure;
        Breaker = policies.CircuitBreaker is { } breaker ? new CircuitBreaker(breaker, time) : null;
        var retryBuilder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (policies.Retry is { MaxRetries: not 0 } retry)
        {
            retryBuilder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e and not CircuitOpenException
                    && (e is TimeoutRejectedException || isRetriable(e, retry))),
                MaxRetryAttempts = retry.MaxRetries < 0 ? int.MaxValue : retry.MaxRetries,
                Delay = retry.Duration,
                MaxDelay = retry.Exponential ? retry.MaxInterval : null,
                BackoffType = retry.Exponential ? DelayBackoffType.Exponential : DelayBackoffType.Constant,
                UseJitter = false,
            });
        }

        retries = retryBuilder.Build();
        var timeoutBuilder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (policies.Timeout is { } limit)
        {
            timeoutBuilder.AddTimeout(limit);
        }

        timeout = timeoutBuilder.Build();
        Timeout = policies.Timeout;
    }

    /// <summary>The target's circuit breaker, or null.</summary>
    public CircuitBreaker? Breaker { get; }

    /// <summary>The timeout of one attempt, or null.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>A runner for <paramref name="policies"/>, or null when there are none (calls then run once, unguarded).</summary>
    /// <param name="policies">The target's policies.</param>
    /// <param name="time">The sidecar's clock.</param>
    /// <param name="isFailure">Whether an exception is a failed attempt (and not an answer such as an ETag mismatch).</param>
    /// <param name="isRetriable">Whether an exception is retried under the retry policy (its <c>matching</c>); every failure by default.</param>
    public static PolicyRunner? For(TargetPolicies? policies, TimeProvider time, Func<Exception, bool> isFailure, Func<Exception, RetryPolicy, bool>? isRetriable = null) =>
        policies is null || policies.IsEmpty ? null : new PolicyRunner(policies, time, isFailure, isRetriable ?? ((e, _) => isFailure(e)));

    /// <summary>Runs <paramref name="operation"/> under the policies.</summary>
    public async Task<T> ExecuteAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken) =>
        await retries.ExecuteAsync(
            async token =>
            {
                var entered = Breaker?.Enter();
                try
                {
                    var result = await timeout.ExecuteAsync(async attempt => await operation(attempt), token);
                    Breaker?.Exit(entered!.Value, success: true);
                    return result;
                }
                catch (Exception e) when (Breaker is not null && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
                {
                    Breaker.Exit(entered!.Value, success: e is not TimeoutRejectedException && !isFailure(e));
                    throw;
                }
            },
            cancellationToken);

    /// <summary>Runs <paramref name="operation"/> under the policies.</summary>
    public Task ExecuteAsync(Func<CancellationToken, Task> operation, CancellationToken cancellationToken) =>
        ExecuteAsync(
            async token =>
            {
                await operation(token);
                return true;
            },
            cancellationToken);
}
