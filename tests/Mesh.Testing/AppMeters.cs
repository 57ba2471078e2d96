using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Mesh.Testing;

/// <summary>
/// The measurements of one meter of one app hosted in this process, read with a MeterListener: other apps of the
/// process create meters of the same name, so only the one scoped to this app's <see cref="IMeterFactory"/> counts.
/// </summary>
public sealed class AppMeters : IDisposable
{
    private readonly ConcurrentQueue<Measured> measurements = new();
    private readonly MeterListener listener = new();

    /// <summary>Listens to the meter <paramref name="meterName"/> of the app whose services are <paramref name="app"/>.</summary>
    public AppMeters(IServiceProvider app, string meterName)
    {
        var factory = app.GetRequiredService<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == meterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();
    }

    /// <summary>What <paramref name="instrument"/> recorded so far (for a gauge, every observation), oldest first.</summary>
    public List<Measured> Of(string instrument) => [.. measurements.Where(m => m.Instrument == instrument)];

    /// <summary>The sum of what the counter or histogram <paramref name="instrument"/> recorded with the <paramref name="tags"/> given.</summary>
    public double Sum(string instrument, params (string Key, string Value)[] tags) =>
        Of(instrument).Where(m => tags.All(t => m.Tags.GetValueOrDefault(t.Key) == t.Value)).Sum(m => m.Value);

    /// <summary>Each gauge's values now, one observation each (by its tags).</summary>
    public List<Measured> Observe(string gauge)
    {
        var before = measurements.Count;
        listener.RecordObservableInstruments();
        return [.. measurements.Skip(before).Where(m => m.Instrument == gauge)];
    }

    /// <inheritdoc />
    public void Dispose() => listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, tag) in tags)
        {
            labels[key] = tag?.ToString() ?? "";
        }

        measurements.Enqueue(new Measured(instrument.Name, value, labels));
    }
}

/// <summary>One measurement: the instrument, its value and its tags.</summary>
public sealed record Measured(string Instrument, double Value, IReadOnlyDictionary<string, string> Tags);
