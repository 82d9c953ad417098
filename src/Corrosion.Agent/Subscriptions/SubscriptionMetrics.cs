using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Akka.Actor;
using Corrosion.Agent.Telemetry;

namespace Corrosion.Agent.Subscriptions;

/// <summary>Live queries' instruments, on the <c>Corrosion.Subscriptions</c> meter (names in the README).</summary>
internal static class SubscriptionMetrics
{
    private static readonly Meter Meter = new(CorrosionTelemetry.SubscriptionsMeter);

    // Per subscription actor: its live queries and listeners after its last message.
    private static readonly ConcurrentDictionary<IActorRef, (long Queries, long Listeners)> Counts = new();

    private static readonly Histogram<double> EvaluationDuration = Meter.CreateHistogram(
        "corrosion.subscriptions.evaluation.duration", "s", "Time one evaluation of a live query took, by outcome (ok, failed)",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });

    private static readonly Counter<long> Events = Meter.CreateCounter<long>(
        "corrosion.subscriptions.events", "{event}", "Changes live queries produced (tag kind: insert, update, delete), each counted once whatever its listeners");

    static SubscriptionMetrics()
    {
        Meter.CreateObservableGauge("corrosion.subscriptions.active", () => Counts.Values.Sum(static c => c.Queries), "{subscription}", "Live queries kept by the node");
        Meter.CreateObservableGauge("corrosion.subscriptions.listeners", () => Counts.Values.Sum(static c => c.Listeners), "{listener}", "Listeners attached to live queries");
    }

    /// <summary>Creates the instruments (the static constructor) before the first scrape.</summary>
    public static void Touch()
    {
    }

    public static void Evaluated(double seconds, bool ok) =>
        EvaluationDuration.Record(seconds, new KeyValuePair<string, object?>("outcome", ok ? "ok" : "failed"));

    public static void Produced(IReadOnlyList<SubscriptionChange> changes)
    {
        foreach (var change in changes)
        {
            Events.Add(1, new KeyValuePair<string, object?>("kind", change.Kind switch
            {
                ChangeKind.Insert => "insert",
                ChangeKind.Update => "update",
                _ => "delete",
            }));
        }
    }

    public static void Publish(IActorRef actor, long queries, long listeners) => Counts[actor] = (queries, listeners);

    public static void Remove(IActorRef actor) => Counts.TryRemove(actor, out _);
}
