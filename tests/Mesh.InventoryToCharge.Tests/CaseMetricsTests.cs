using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Mesh.Scenarios;
using Mesh.Workflows.InventoryToCharge;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>The flow's business metrics, read with a MeterListener from the workflows app hosted in this process.</summary>
public sealed class CaseMetricsTests : IAsyncLifetime
{
    private readonly ConcurrentBag<(string Instrument, double Value, string Status, string Reason)> measurements = [];
    private readonly MeterListener listener = new();
    private InProcessFlow flow = null!;

    public async Task InitializeAsync()
    {
        flow = await InProcessFlow.StartAsync();
        // Other tests host workflows apps in this process too: only this app's meter (scoped to its factory) counts.
        var factory = flow.Workflows.GetRequiredService<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == CaseMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();
    }

    [Fact]
    public async Task ConcludedCases_AreCountedByStatusAndReason_WithLatencyAndQueueDepth()
    {
        var scenario = flow.Scenario;
        var spec = new ScenarioSpec(Events: 6, Locations: 1, DuplicateShare: 0);
        var catalog = await scenario.SeedAsync(spec, CancellationToken.None);
        var events = InventoryToChargeScenario.Consumptions(catalog, spec);
        events[0].Item = $"items/{catalog.RunId}-unknown";
        events[1].Item = $"items/{catalog.RunId}-unknown-too";

        await scenario.SendAsync(events, spec, 4, CancellationToken.None);
        var cases = await scenario.AwaitSettledAsync([.. events.Select(e => e.Context.EventId)], TimeSpan.FromSeconds(60), null, CancellationToken.None);
        // The outcome is readable a moment before the conclusion counts it (and records its latency).
        for (var i = 0; i < 200 && (measurements.Where(m => m.Instrument == "mesh.inventory_to_charge.cases").Sum(m => m.Value) < 6
            || measurements.Count(m => m.Instrument == "mesh.inventory_to_charge.consumption_to_posting") < 4); i++)
        {
            await Task.Delay(50);
        }

        listener.RecordObservableInstruments();

        Assert.Equal(6, cases.Count);
        var counted = measurements.Where(m => m.Instrument == "mesh.inventory_to_charge.cases").ToList();
        Assert.Equal(4, counted.Where(m => m.Status == "completed").Sum(m => m.Value));
        Assert.Equal(2, counted.Where(m => (m.Status, m.Reason) == ("exception", "unknown_item")).Sum(m => m.Value));
        var latencies = measurements.Where(m => m.Instrument == "mesh.inventory_to_charge.consumption_to_posting").Select(m => m.Value).ToList();
        Assert.Equal(4, latencies.Count);
        Assert.All(latencies, seconds => Assert.True(seconds > 0, "a posting cannot precede its consumption"));
        Assert.Equal(2, measurements.Where(m => m.Instrument == "mesh.inventory_to_charge.exception_queue.depth").Select(m => m.Value).Last());
    }

    public async Task DisposeAsync()
    {
        listener.Dispose();
        await flow.DisposeAsync();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string status = "", reason = "";
        foreach (var (key, tag) in tags)
        {
            (status, reason) = key switch
            {
                "status" => ((string)tag!, reason),
                "reason" => (status, (string)tag!),
                _ => (status, reason),
            };
        }

        measurements.Add((instrument.Name, value, status, reason));
    }
}
