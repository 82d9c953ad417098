using System.Diagnostics.Metrics;
using Corrosion.Agent.Telemetry;

namespace Corrosion.Agent.Membership;

/// <summary>
/// Membership's instruments, on the <c>Corrosion.Membership</c> meter (names in the README). The
/// SWIM core is sans-IO and counts in <see cref="SwimCounters"/>; the actor hands its figures to the
/// node's <see cref="NodeTelemetry"/> once per probe period, and these observe them.
/// </summary>
internal static class MembershipMetrics
{
    private static readonly Meter Meter = new(CorrosionTelemetry.MembershipMeter);

    static MembershipMetrics()
    {
        Meter.CreateObservableGauge("corrosion.membership.members", Members, "{member}", "Cluster members by state (alive includes this node; suspect; down)");
        Meter.CreateObservableGauge("corrosion.membership.local_health", () => NodeTelemetry.Live.Sum(static t => t.LocalHealth), "1", "Lifeguard's local-health multiplier (0 = healthy; higher slows this node's own probing)");
        Meter.CreateObservableCounter("corrosion.membership.probes", () => NodeTelemetry.Live.Sum(static t => t.Probes.Probes), "{probe}", "SWIM probes sent");
        Meter.CreateObservableCounter("corrosion.membership.probe_failures", () => NodeTelemetry.Live.Sum(static t => t.Probes.Failed), "{probe}", "SWIM probes that got no ack in their period");
        Meter.CreateObservableCounter("corrosion.membership.suspicions", () => NodeTelemetry.Live.Sum(static t => t.Probes.Suspicions), "{suspicion}", "Members this node came to suspect");
        Meter.CreateObservableCounter("corrosion.membership.members_refused", () => NodeTelemetry.Live.Sum(static t => t.MembersRefused), "{member}", "New members refused because membership was full (membership.max_members)");
        Meter.CreateObservableCounter("corrosion.membership.refutations", () => NodeTelemetry.Live.Sum(static t => t.Probes.Refutations), "{refutation}", "Suspicions of this node that it refuted");
    }

    /// <summary>Creates the instruments (the static constructor) before the first scrape.</summary>
    public static void Touch()
    {
    }

    private static IEnumerable<Measurement<long>> Members()
    {
        long alive = 0, suspect = 0, down = 0;
        foreach (var node in NodeTelemetry.Live)
        {
            var (a, s, d) = node.Members;
            alive += a;
            suspect += s;
            down += d;
        }

        yield return new Measurement<long>(alive, new KeyValuePair<string, object?>("state", "alive"));
        yield return new Measurement<long>(suspect, new KeyValuePair<string, object?>("state", "suspect"));
        yield return new Measurement<long>(down, new KeyValuePair<string, object?>("state", "down"));
    }
}
