using System.Diagnostics;

namespace Corrosion.Agent.Telemetry;

/// <summary>
/// Names of the node's meters (one per area) and its <see cref="ActivitySource"/>. Instruments are
/// plain <c>System.Diagnostics.Metrics</c>; OpenTelemetry exports them (see <see cref="TelemetryHosting"/>).
/// </summary>
public static class CorrosionTelemetry
{
    /// <summary>Meter of the store: transactions, merges, changes, versions, gaps, database size.</summary>
    public const string StorageMeter = "Corrosion.Storage";

    /// <summary>Meter of replication: broadcasts, sync, queues, propagation lag.</summary>
    public const string ReplicationMeter = "Corrosion.Replication";

    /// <summary>Meter of membership: members by state, probes, suspicions, local health.</summary>
    public const string MembershipMeter = "Corrosion.Membership";

    /// <summary>Meter of live queries: subscriptions, listeners, evaluation time, events.</summary>
    public const string SubscriptionsMeter = "Corrosion.Subscriptions";

    /// <summary>ASP.NET Core's own meter: <c>http.server.request.duration</c> by route and status.</summary>
    public const string HttpMeter = "Microsoft.AspNetCore.Hosting";

    /// <summary>Every meter the Prometheus endpoint exports.</summary>
    public static IReadOnlyList<string> Meters { get; } =
        [StorageMeter, ReplicationMeter, MembershipMeter, SubscriptionsMeter, Actors.ActorMetrics.MeterName, HttpMeter];

    /// <summary>
    /// Series kept per instrument whose tags take a few fixed values (outcome, origin, state…).
    /// OpenTelemetry allocates every metric stream's points up front at its cardinality limit (2,000 by
    /// default, about 200 KiB per instrument: ~5 MiB of an idle node for the node's instruments); these
    /// never have more than a handful of tag combinations (more would be reported in one overflow series,
    /// <c>otel.metric.overflow</c>, not lost). Instruments tagged with peers, actors, message types or HTTP
    /// routes keep OpenTelemetry's default.
    /// </summary>
    public const int FixedTagsCardinalityLimit = 32;

    // Instruments of the meters above whose tags are open-ended (one series per peer).
    private static readonly HashSet<string> OpenEnded = ["corrosion.replication.send_queue"];

    /// <summary>Whether <paramref name="instrument"/> is one of the node's with a few fixed tag values only.</summary>
    public static bool HasFixedTags(System.Diagnostics.Metrics.Instrument instrument)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        return instrument.Meter.Name is StorageMeter or ReplicationMeter or MembershipMeter or SubscriptionsMeter
            && !OpenEnded.Contains(instrument.Name);
    }

    /// <summary>Name of the node's activity source: spans for transactions, commits, broadcasts and sync sessions.</summary>
    public const string ActivitySourceName = "Corrosion";

    /// <summary>The node's activity source (spans are made only while a listener, the OTLP exporter or a test, listens).</summary>
    public static ActivitySource Source { get; } = new(ActivitySourceName);
}
