using System.Collections.Concurrent;
using Dapr.Workflow;

namespace Mesh.Runtime.Tests.Workflow;

/// <summary>What a saga is asked to do.</summary>
public sealed record SupplyRequest(string Item, int Quantity, bool FailCharge = false, int ApprovalTimeoutMs = -1, int CoolDownMs = 100);

/// <summary>
/// A saga in the shape of inventory-to-charge: reserve stock, capture a charge (compensating the
/// reservation when it fails), wait for an approval (with a timeout, or none), then a durable timer.
/// </summary>
public sealed class SupplySaga : Workflow<SupplyRequest, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, SupplyRequest input)
    {
        var reservation = await context.CallActivityAsync<string>(nameof(ReserveStock), input);
        try
        {
            await context.CallActivityAsync<string>(nameof(CaptureCharge), input);
        }
        catch (WorkflowTaskFailedException)
        {
            await context.CallActivityAsync<string>(nameof(ReleaseStock), reservation);
            return "compensated";
        }

        bool approved;
        try
        {
            approved = input.ApprovalTimeoutMs < 0
                ? await context.WaitForExternalEventAsync<bool>("approval")
                : await context.WaitForExternalEventAsync<bool>("approval", TimeSpan.FromMilliseconds(input.ApprovalTimeoutMs));
        }
        catch (TaskCanceledException)
        {
            await context.CallActivityAsync<string>(nameof(ReleaseStock), reservation);
            return "timed-out";
        }

        await context.CreateTimer(TimeSpan.FromMilliseconds(input.CoolDownMs));
        return approved ? $"approved:{reservation}" : "rejected";
    }
}

/// <summary>Five activities in a chain: the benchmark's shape.</summary>
public sealed class ChainWorkflow : Workflow<int, int>
{
    public override async Task<int> RunAsync(WorkflowContext context, int input)
    {
        var value = input;
        for (var i = 0; i < 5; i++)
        {
            value = await context.CallActivityAsync<int>(nameof(Increment), value);
        }

        return value;
    }
}

/// <summary>Calls a child saga and continues as new until its counter reaches zero.</summary>
public sealed class ParentWorkflow : Workflow<int, string>
{
    public override async Task<string> RunAsync(WorkflowContext context, int remaining)
    {
        var child = await context.CallChildWorkflowAsync<int>(nameof(ChainWorkflow), remaining * 10);
        if (remaining > 1)
        {
            context.ContinueAsNew(remaining - 1);
            return "";
        }

        return $"last child {child}";
    }
}

/// <summary>Calls a flaky activity under a retry policy; the SDK retries with durable timers.</summary>
public sealed class RetryingWorkflow : Workflow<int, string>
{
    // Changing this policy changes replay of running instances: treat it as a breaking change.
    private static readonly WorkflowTaskOptions Retry = new(new WorkflowRetryPolicy(3, TimeSpan.FromMilliseconds(100), 1.0, null, null), null!, default);

    public override async Task<string> RunAsync(WorkflowContext context, int failures) =>
        await context.CallActivityAsync<string>(nameof(Flaky), $"{context.InstanceId}:{failures}", Retry);
}

/// <summary>Counts calls per activity, shared by the activities of one test host.</summary>
public sealed class ActivityLog
{
    public ConcurrentDictionary<string, int> Calls { get; } = new();

    public void Record(string name) => Calls.AddOrUpdate(name, 1, (_, n) => n + 1);

    public int Count(string name) => Calls.GetValueOrDefault(name);
}

public sealed class ReserveStock(ActivityLog log) : WorkflowActivity<SupplyRequest, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, SupplyRequest input)
    {
        log.Record(nameof(ReserveStock));
        return Task.FromResult($"res-{input.Item}-{input.Quantity}");
    }
}

public sealed class CaptureCharge(ActivityLog log) : WorkflowActivity<SupplyRequest, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, SupplyRequest input)
    {
        log.Record(nameof(CaptureCharge));
        return input.FailCharge ? throw new InvalidOperationException("the charge master has no price for this item") : Task.FromResult("charged");
    }
}

public sealed class ReleaseStock(ActivityLog log) : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        log.Record(nameof(ReleaseStock));
        return Task.FromResult($"released {input}");
    }
}

/// <summary>Fails the first N calls for an instance (input "instance:N"), then succeeds.</summary>
public sealed class Flaky(ActivityLog log) : WorkflowActivity<string, string>
{
    public override Task<string> RunAsync(WorkflowActivityContext context, string input)
    {
        var key = $"{nameof(Flaky)}:{input}";
        log.Record(key);
        var failures = int.Parse(input.Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture);
        return log.Count(key) <= failures
            ? throw new TimeoutException($"the ERP did not answer (attempt {log.Count(key)})")
            : Task.FromResult($"posted after {log.Count(key)} attempts");
    }
}

public sealed class Increment(ActivityLog log) : WorkflowActivity<int, int>
{
    public override Task<int> RunAsync(WorkflowActivityContext context, int input)
    {
        log.Record(nameof(Increment));
        return Task.FromResult(input + 1);
    }
}
