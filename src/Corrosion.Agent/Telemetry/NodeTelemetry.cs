using System.Collections.Concurrent;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Transport;

namespace Corrosion.Agent.Telemetry;

/// <summary>
/// One node's live figures that are states rather than events (members by state, queue depths, lag):
/// the node's actors write them as they change, the observable gauges of the area meters and
/// <c>/v1/health</c> read them from any thread. Counters of events are plain instruments instead
/// (see the area metrics classes). Every node registers its instance while it runs; a process with
/// several nodes reports the sum of their gauges.
/// </summary>
public sealed class NodeTelemetry : IDisposable
{
    private static readonly ConcurrentDictionary<NodeTelemetry, byte> Registered = new();

    private long _gaps;
    private long _alive;
    private long _suspect;
    private long _down;
    private long _localHealth;
    private long _probes;
    private long _failedProbes;
    private long _suspicions;
    private long _refutations;
    private long _membersRefused;
    private long _pendingBroadcasts;
    private long _droppedPending;
    private long _applyQueue;
    private long _peerLag;
    private long _liveQueries;
    private long _listeners;

    /// <summary>Creates a node's figures (not yet registered: see <see cref="Register"/>).</summary>
    /// <param name="store">The node's store (its latest version); null in actor tests.</param>
    /// <param name="dbPath">The database file (its size and its WAL's are reported); null reports none.</param>
    /// <param name="transport">The gossip transport (send queues); null without replication.</param>
    /// <param name="lagWindow">How far back <see cref="P99Lag"/> looks.</param>
    /// <param name="time">The clock of the lag window.</param>
    public NodeTelemetry(CrdtStore? store = null, string? dbPath = null, IGossipTransport? transport = null, TimeSpan? lagWindow = null, TimeProvider? time = null)
    {
        Store = store;
        DbPath = dbPath is null ? null : Path.GetFullPath(dbPath);
        Transport = transport;
        Lag = new LagWindow(lagWindow ?? TimeSpan.FromMinutes(1), time ?? TimeProvider.System);
    }

    /// <summary>The nodes running in this process.</summary>
    public static ICollection<NodeTelemetry> Live => Registered.Keys;

    /// <summary>The node's store, or null.</summary>
    public CrdtStore? Store { get; }

    /// <summary>The database file, or null.</summary>
    public string? DbPath { get; }

    /// <summary>Versions of other nodes known and not applied yet, as the writer last counted them.</summary>
    public long Gaps => Volatile.Read(ref _gaps);

    /// <summary>The gossip transport, or null.</summary>
    public IGossipTransport? Transport { get; }

    /// <summary>Replication lags of the changes applied lately.</summary>
    public LagWindow Lag { get; }

    /// <summary>Members alive (this node included), suspect and down.</summary>
    public (long Alive, long Suspect, long Down) Members => (Volatile.Read(ref _alive), Volatile.Read(ref _suspect), Volatile.Read(ref _down));

    /// <summary>Lifeguard's local-health multiplier (0 = healthy).</summary>
    public long LocalHealth => Volatile.Read(ref _localHealth);

    /// <summary>New members refused because membership was full (<c>membership.max_members</c>), by the current membership incarnation.</summary>
    public long MembersRefused => Volatile.Read(ref _membersRefused);

    /// <summary>Probes sent, probes without an ack, suspicions raised, and refutations of suspicions of this node, by the current membership incarnation.</summary>
    public (long Probes, long Failed, long Suspicions, long Refutations) Probes =>
        (Volatile.Read(ref _probes), Volatile.Read(ref _failedProbes), Volatile.Read(ref _suspicions), Volatile.Read(ref _refutations));

    /// <summary>Changesets waiting for later broadcast transmissions.</summary>
    public long PendingBroadcasts => Volatile.Read(ref _pendingBroadcasts);

    /// <summary>Pending broadcasts dropped because the pending queue was full (by the current gossip incarnation).</summary>
    public long DroppedPendingBroadcasts => Volatile.Read(ref _droppedPending);

    /// <summary>Changesets received from peers and not yet merged by the writer.</summary>
    public long ApplyQueue => Math.Max(0, Volatile.Read(ref _applyQueue));

    /// <summary>Most changes of this node's a live, reporting peer has not applied yet (cross-node back-pressure).</summary>
    public long PeerLag => Volatile.Read(ref _peerLag);

    /// <summary>Live queries and their attached listeners.</summary>
    public (long Queries, long Listeners) Subscriptions => (Volatile.Read(ref _liveQueries), Volatile.Read(ref _listeners));

    /// <summary>Frames queued on the transport's per-peer send queues, summed.</summary>
    public long SendQueueFrames => Transport?.SendQueueDepths().Sum(static q => (long)q.Frames) ?? 0;

    /// <summary>
    /// The backlog <c>/v1/health</c> reports as <c>queue_size</c>: changesets received and not yet
    /// merged, plus frames waiting on the send queues. Broadcasts kept for later retransmission
    /// (<see cref="PendingBroadcasts"/>) are not a backlog: they are there after every write.
    /// </summary>
    public long QueueSize => ApplyQueue + SendQueueFrames;

    /// <summary><c>p99_lag</c>: the 99th percentile of the replication lag, seconds, over the window.</summary>
    public double P99Lag => Lag.P99();

    /// <summary>Adds this node to <see cref="Live"/> (the gauges report it) until disposed.</summary>
    /// <returns>This instance.</returns>
    public NodeTelemetry Register()
    {
        Registered.TryAdd(this, 0);
        return this;
    }

    /// <summary>The gap count, written by the writer after each merge.</summary>
    public void SetGaps(long gaps) => Volatile.Write(ref _gaps, gaps);

    /// <summary>Membership's figures, written by the membership actor.</summary>
    public void SetMembership(long alive, long suspect, long down, long localHealth, long probes, long failedProbes, long suspicions, long refutations, long membersRefused)
    {
        Volatile.Write(ref _membersRefused, membersRefused);
        Volatile.Write(ref _alive, alive);
        Volatile.Write(ref _suspect, suspect);
        Volatile.Write(ref _down, down);
        Volatile.Write(ref _localHealth, localHealth);
        Volatile.Write(ref _probes, probes);
        Volatile.Write(ref _failedProbes, failedProbes);
        Volatile.Write(ref _suspicions, suspicions);
        Volatile.Write(ref _refutations, refutations);
    }

    /// <summary>The broadcast planner's figures, written by the gossip actor.</summary>
    public void SetBroadcasts(long pending, long droppedPending)
    {
        Volatile.Write(ref _pendingBroadcasts, pending);
        Volatile.Write(ref _droppedPending, droppedPending);
    }

    /// <summary>Changesets handed to the writer (positive) or merged by it (negative).</summary>
    public void AddApplyQueue(long changesets) => Interlocked.Add(ref _applyQueue, changesets);

    /// <summary>How far the furthest reporting peer trails this node's changes, written by the gossip actor.</summary>
    public void SetPeerLag(long changes) => Volatile.Write(ref _peerLag, changes);

    /// <summary>Live queries and listeners, written by the subscription actor.</summary>
    public void SetSubscriptions(long queries, long listeners)
    {
        Volatile.Write(ref _liveQueries, queries);
        Volatile.Write(ref _listeners, listeners);
    }

    /// <summary>Removes this node from <see cref="Live"/>.</summary>
    public void Dispose() => Registered.TryRemove(this, out _);
}
