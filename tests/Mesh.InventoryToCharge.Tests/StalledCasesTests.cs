using System.Diagnostics.Metrics;
using Mesh.Workflows.InventoryToCharge;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>Stalled cases and the ERP backlog on a fake clock: progress is a new step, never a retry of the same one.</summary>
public sealed class StalledCasesTests : IDisposable
{
    private readonly FakeTimeProvider clock = new(DateTimeOffset.Parse("2026-12-06T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly CaseMetrics metrics;

    public StalledCasesTests() =>
        metrics = new CaseMetrics(services.GetRequiredService<IMeterFactory>(), clock, Options.Create(new InventoryToChargeOptions { StalledAfter = TimeSpan.FromMinutes(5) }));

    [Fact]
    public void CaseRetryingOneStep_PastStalledAfter_CountsAsStalledUntilItTakesANewStep()
    {
        metrics.Started("a");
        metrics.Started("b");
        metrics.Progressed("a", CaseMetrics.PostingStep);
        clock.Advance(TimeSpan.FromMinutes(3));
        metrics.Progressed("b", nameof(TakeStock));
        clock.Advance(TimeSpan.FromMinutes(2));
        // "a" retries its posting: the same step, so no progress.
        metrics.Progressed("a", CaseMetrics.PostingStep);

        Assert.Equal((2, 1, 1), Read());

        metrics.Progressed("a", nameof(VoidCharge));
        Assert.Equal((2, 0, 0), Read());

        clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal((2, 1, 0), Read());
    }

    public void Dispose() => services.Dispose();

    private (int InFlight, int Stalled, int Backlog) Read()
    {
        var values = new Dictionary<string, int>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == services.GetRequiredService<IMeterFactory>())
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => values[instrument.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        return (values["mesh.inventory_to_charge.cases.in_flight"], values["mesh.inventory_to_charge.cases.stalled"], values["mesh.inventory_to_charge.erp.backlog"]);
    }
}
