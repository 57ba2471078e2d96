namespace Mesh.Workflows.InventoryToCharge;

/// <summary>Settings of the inventory-to-charge saga, bound from the "Workflows" configuration section.</summary>
public sealed class InventoryToChargeOptions
{
    /// <summary>The Dapr state store for case outcomes and the exception queue.</summary>
    public string StateStore { get; set; } = "statestore";

    /// <summary>The Dapr pub/sub component for the exception queue's events.</summary>
    public string PubSub { get; set; } = "pubsub";

    /// <summary>Attempts of a step against a service before the saga gives up on it.</summary>
    public int StepAttempts { get; set; } = 6;

    /// <summary>Attempts of the ERP posting; generous, because ERPs go down for maintenance.</summary>
    public int PostingAttempts { get; set; } = 30;

    /// <summary>The first retry delay; later ones double up to <see cref="MaxRetryInterval"/>.</summary>
    public TimeSpan FirstRetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two attempts.</summary>
    public TimeSpan MaxRetryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a case may go without beginning a new step before the metrics count it as stalled.</summary>
    public TimeSpan StalledAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The retry settings a new case starts with.</summary>
    public SagaRetry Retry() => new(StepAttempts, PostingAttempts, FirstRetryInterval, MaxRetryInterval);
}
