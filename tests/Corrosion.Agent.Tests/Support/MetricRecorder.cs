using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Corrosion.Agent.Actors;

namespace Corrosion.Agent.Tests.Support;

/// <summary>Records what the node's actor instruments (<see cref="ActorMetrics"/>) count for one actor system.</summary>
public sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, long Value, Dictionary<string, string?> Tags)> _measurements = new();
    private readonly string _system;

    public MetricRecorder(string system)
    {
        _system = system;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ActorMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var map = new Dictionary<string, string?>();
            foreach (var tag in tags)
            {
                map[tag.Key] = tag.Value?.ToString();
            }

            if (map.GetValueOrDefault("actor.system") == _system)
            {
                _measurements.Enqueue((instrument.Name, value, map));
            }
        });
        _listener.Start();
    }

    /// <summary>The sum of <paramref name="instrument"/> for the actor at <paramref name="path"/> (e.g. <c>/user/listener</c>).</summary>
    public long Sum(string instrument, string path) =>
        _measurements.Where(m => m.Instrument == instrument && m.Tags.GetValueOrDefault("actor.path") == path).Sum(m => m.Value);

    /// <summary>The tags of every measurement of <paramref name="instrument"/>.</summary>
    public IReadOnlyList<Dictionary<string, string?>> Tags(string instrument) =>
        _measurements.Where(m => m.Instrument == instrument).Select(m => m.Tags).ToList();

    /// <summary>Reads the gauges now: <paramref name="instrument"/>'s value for the actor at <paramref name="path"/>, or null when it reports none.</summary>
    public long? Observe(string instrument, string path)
    {
        bool Matches((string Instrument, long Value, Dictionary<string, string?> Tags) m) =>
            m.Instrument == instrument && m.Tags.GetValueOrDefault("actor.path") == path;
        var before = _measurements.Count(Matches);
        _listener.RecordObservableInstruments();
        var matching = _measurements.Where(Matches).ToList();
        return matching.Count > before ? matching[^1].Value : null;
    }

    public void Dispose() => _listener.Dispose();
}
