using System.Diagnostics.Metrics;
using Corrosion.Agent.Telemetry;

namespace Corrosion.Agent.Replication;

/// <summary>Replication's instruments, on the <c>Corrosion.Replication</c> meter (names in the README).</summary>
internal static class ReplicationMetrics
{
    private static readonly Meter Meter = new(CorrosionTelemetry.ReplicationMeter);

    private static readonly Counter<long> BroadcastsSent = Meter.CreateCounter<long>(
        "corrosion.replication.broadcasts.sent", "{frame}", "Broadcast frames handed to the transport (first sends and re-broadcasts)");

    private static readonly Counter<long> BroadcastsReceived = Meter.CreateCounter<long>(
        "corrosion.replication.broadcasts.received", "{changeset}", "Broadcast changesets received from peers, by result (new, duplicate)");

    private static readonly Counter<long> BroadcastsDropped = Meter.CreateCounter<long>(
        "corrosion.replication.broadcasts.dropped", "{frame}", "Broadcasts dropped, by reason (send_queue_full: a peer's send queue was full; pending_full: the pending queue was full; alone_when_quiet: kept for later transmissions while no member was live, dropped when the agent went quiet); sync repairs them");

    private static readonly Counter<long> ChangesReceived = Meter.CreateCounter<long>(
        "corrosion.replication.changes.received", "{change}", "Changes received from peers, by source (broadcast, sync)");

    private static readonly Counter<long> SyncRounds = Meter.CreateCounter<long>(
        "corrosion.replication.sync.rounds", "{round}", "Anti-entropy sync rounds finished");

    private static readonly Counter<long> SyncSessions = Meter.CreateCounter<long>(
        "corrosion.replication.sync.sessions", "{session}", "Sync sessions ended, by role (client, server) and outcome (ok, failed)");

    private static readonly Counter<long> SyncPeersSkippedCounter = Meter.CreateCounter<long>(
        "corrosion.replication.sync.peers_skipped", "{peer}", "Peers left out of sync rounds because their sync digest equalled this node's (nothing to pull)");

    private static readonly Counter<long> SyncChangesets = Meter.CreateCounter<long>(
        "corrosion.replication.sync.changesets", "{changeset}", "Changesets moved by sync sessions, by direction (received, served)");

    private static readonly Counter<long> DecodeErrors = Meter.CreateCounter<long>(
        "corrosion.replication.decode_errors", "{frame}", "Frames dropped because they were malformed or of another cluster");

    private static readonly Histogram<double> LagHistogram = Meter.CreateHistogram(
        "corrosion.replication.lag", "s", "Replication lag of remote versions: time from the origin's commit to the merge here",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] });

    private static readonly Counter<long> WritesDelayed = Meter.CreateCounter<long>(
        "corrosion.replication.write_admission.delayed", "{transaction}", "Local write transactions that waited because a live peer trailed this node's changes by more than gossip.replication.max_peer_lag_changes");

    private static readonly Counter<double> WriteWait = Meter.CreateCounter<double>(
        "corrosion.replication.write_admission.wait", "s", "Time local write transactions waited for trailing peers, summed");

    private static readonly Counter<long> WritesWaitedOut = Meter.CreateCounter<long>(
        "corrosion.replication.write_admission.timed_out", "{transaction}", "Local write transactions that waited gossip.replication.max_write_wait and then went anyway");

    static ReplicationMetrics()
    {
        Meter.CreateObservableGauge("corrosion.replication.peer_lag", () => NodeTelemetry.Live.Sum(static t => t.PeerLag),
            "{change}", "Changes of this node the furthest live, reporting peer has not applied yet (local writes wait above gossip.replication.max_peer_lag_changes)");
        Meter.CreateObservableGauge("corrosion.replication.broadcasts.pending", () => NodeTelemetry.Live.Sum(static t => t.PendingBroadcasts),
            "{changeset}", "Changesets waiting for later broadcast transmissions");
        Meter.CreateObservableGauge("corrosion.replication.apply_queue", () => NodeTelemetry.Live.Sum(static t => t.ApplyQueue),
            "{changeset}", "Changesets received by broadcast and not yet merged by the writer");
        Meter.CreateObservableGauge("corrosion.replication.receive_queue", () => NodeTelemetry.Live.Sum(static t => t.Transport is { Frames.CanCount: true } transport ? (long)transport.Frames.Count : 0),
            "{frame}", "Frames read from peers' links and not yet taken by the gossip actor");
        Meter.CreateObservableGauge("corrosion.replication.send_queue", SendQueues,
            "{frame}", "Frames waiting on a peer's send queue, by peer");
        Meter.CreateObservableCounter("corrosion.transport.bytes", TransportBytes,
            "By", "Bytes of gossip frames, by direction (sent, received)");
        Meter.CreateObservableCounter("corrosion.transport.send_queue.drops", () => NodeTelemetry.Live.Sum(static t => t.Transport?.Counters.SendQueueDrops ?? 0),
            "{frame}", "Frames the transport dropped because a peer's send queue was full, the frame too large, or the transport stopped");
        Meter.CreateObservableCounter("corrosion.transport.connect_failures", () => NodeTelemetry.Live.Sum(static t => t.Transport?.Counters.ConnectFailures ?? 0),
            "{connection}", "Outbound gossip connections that failed or timed out");
    }

    /// <summary>Creates the instruments (the static constructor) before the first scrape.</summary>
    public static void Touch()
    {
    }

    public static void BroadcastSent() => BroadcastsSent.Add(1);

    public static void BroadcastReceived(bool duplicate) =>
        BroadcastsReceived.Add(1, new KeyValuePair<string, object?>("result", duplicate ? "duplicate" : "new"));

    public static void BroadcastDropped(string reason, long count = 1) =>
        BroadcastsDropped.Add(count, new KeyValuePair<string, object?>("reason", reason));

    public static void Received(string source, long changes) =>
        ChangesReceived.Add(changes, new KeyValuePair<string, object?>("source", source));

    public static void SyncRound() => SyncRounds.Add(1);

    public static void SyncPeersSkipped(long count) => SyncPeersSkippedCounter.Add(count);

    public static void SyncSession(string role, bool ok) =>
        SyncSessions.Add(1, new KeyValuePair<string, object?>("role", role), new KeyValuePair<string, object?>("outcome", ok ? "ok" : "failed"));

    public static void SyncChangesetsMoved(string direction, long count) =>
        SyncChangesets.Add(count, new KeyValuePair<string, object?>("direction", direction));

    public static void DecodeError() => DecodeErrors.Add(1);

    public static void Lag(double seconds) => LagHistogram.Record(seconds);

    public static void WriteAdmissionWaited(double seconds)
    {
        WritesDelayed.Add(1);
        WriteWait.Add(seconds);
    }

    public static void WriteAdmissionTimedOut() => WritesWaitedOut.Add(1);

    private static IEnumerable<Measurement<long>> SendQueues()
    {
        foreach (var node in NodeTelemetry.Live)
        {
            if (node.Transport is not { } transport)
            {
                continue;
            }

            foreach (var (peer, frames) in transport.SendQueueDepths())
            {
                yield return new Measurement<long>(frames, new KeyValuePair<string, object?>("peer", peer.ToString()));
            }
        }
    }

    private static IEnumerable<Measurement<long>> TransportBytes()
    {
        var sent = 0L;
        var received = 0L;
        foreach (var node in NodeTelemetry.Live)
        {
            if (node.Transport is { } transport)
            {
                sent += transport.Counters.BytesSent;
                received += transport.Counters.BytesReceived;
            }
        }

        yield return new Measurement<long>(sent, new KeyValuePair<string, object?>("direction", "sent"));
        yield return new Measurement<long>(received, new KeyValuePair<string, object?>("direction", "received"));
    }
}
