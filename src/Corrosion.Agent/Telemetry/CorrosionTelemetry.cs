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

    /// <summary>Name of the node's activity source: spans for transactions, commits, broadcasts and sync sessions.</summary>
    public const string ActivitySourceName = "Corrosion";

    /// <summary>The node's activity source (spans are made only while a listener, the OTLP exporter or a test, listens).</summary>
    public static ActivitySource Source { get; } = new(ActivitySourceName);
}
