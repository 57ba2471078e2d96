using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Mesh.Runtime.Telemetry;

namespace Mesh.Runtime.Tests.Sidecar;

/// <summary>
/// How the sidecar of <paramref name="appId"/> ended each delivery on <paramref name="topic"/> (success, retry, drop),
/// read from its <c>dapr_component_pubsub_ingress_count</c>: a test waits for "the sidecar gave the delivery up" instead
/// of sleeping until it probably has.
/// </summary>
public sealed class DeliveryStatuses : IDisposable
{
    private readonly ConcurrentQueue<string> statuses = new();
    private readonly MeterListener listener = new();

    public DeliveryStatuses(string appId, string topic)
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SidecarTelemetry.Name && instrument.Name == "dapr_component_pubsub_ingress_count")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var labels = new Dictionary<string, object?>(tags.ToArray());
            if (Equals(labels.GetValueOrDefault("app_id"), appId) && Equals(labels.GetValueOrDefault("topic"), topic))
            {
                statuses.Enqueue(labels.GetValueOrDefault("status") as string ?? "");
            }
        });
        listener.Start();
    }

    /// <summary>Waits (real time, at most 30 s) until a delivery ended with <paramref name="status"/>.</summary>
    public async Task WaitForAsync(string status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!statuses.Contains(status))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no delivery ended with status '{status}'; seen: {string.Join(", ", statuses)}");
            }

            await Task.Delay(25);
        }
    }

    /// <inheritdoc />
    public void Dispose() => listener.Dispose();
}
