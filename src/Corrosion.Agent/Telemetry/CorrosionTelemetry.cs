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
    /// routes have their own limits (see <see cref="CardinalityLimit"/>).
    /// </summary>
    public const int FixedTagsCardinalityLimit = 32;

    /// <summary>
    /// Series kept per instrument of the <c>Corrosion.Actors</c> meter (tags: actor system, path of one of the
    /// node's few actors, and a drop reason or a message type). A node has about ten actors and a few dozen
    /// message types, so 256 leaves room; a combination beyond it (for example dead letters to many
    /// short-lived ask actors) is added to OpenTelemetry's <c>otel.metric.overflow="true"</c> series: the
    /// instrument's total stays exact, only that excess loses its per-actor breakdown (as it did at 2,000).
    /// </summary>
    public const int ActorsCardinalityLimit = 256;

    /// <summary>
    /// Series kept per instrument of ASP.NET Core's <c>Microsoft.AspNetCore.Hosting</c> meter
    /// (<c>http.server.request.duration</c>, <c>http.server.active_requests</c>: tags route, method, status
    /// code, scheme, protocol version, error type). The API has about ten routes, each with its own method
    /// and a 405 for the others, and ASP.NET Core reports unknown methods as <c>_OTHER</c>, so the
    /// combinations are bounded and well under 512; any excess goes to the <c>otel.metric.overflow="true"</c>
    /// series (totals stay exact).
    /// </summary>
    public const int HttpCardinalityLimit = 512;

    // Instruments of the meters above whose tags are open-ended (one series per peer).
    private static readonly HashSet<string> OpenEnded = ["corrosion.replication.send_queue"];

    /// <summary>Whether <paramref name="instrument"/> is one of the node's with a few fixed tag values only.</summary>
    public static bool HasFixedTags(System.Diagnostics.Metrics.Instrument instrument)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        return instrument.Meter.Name is StorageMeter or ReplicationMeter or MembershipMeter or SubscriptionsMeter
            && !OpenEnded.Contains(instrument.Name);
    }

    /// <summary>
    /// The cardinality limit of <paramref name="instrument"/>'s stream, or null for OpenTelemetry's default
    /// (2,000: the per-peer instruments, which must keep room for a large fleet). OpenTelemetry allocates
    /// every stream's points up front at its limit, so the bounded instruments get limits of their size.
    /// </summary>
    public static int? CardinalityLimit(System.Diagnostics.Metrics.Instrument instrument)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        if (HasFixedTags(instrument))
        {
            return FixedTagsCardinalityLimit;
        }

        return instrument.Meter.Name switch
        {
            Actors.ActorMetrics.MeterName => ActorsCardinalityLimit,
            HttpMeter => HttpCardinalityLimit,
            _ => null,
        };
    }

    /// <summary>Name of the node's activity source: spans for transactions, commits, broadcasts and sync sessions.</summary>
    public const string ActivitySourceName = "Corrosion";

    /// <summary>The node's activity source (spans are made only while a listener, the OTLP exporter or a test, listens).</summary>
    public static ActivitySource Source { get; } = new(ActivitySourceName);
}
