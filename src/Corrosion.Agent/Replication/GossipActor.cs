using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Threading.Channels;
using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Replication.Admission;
using Corrosion.Agent.Replication.Broadcast;
using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Replication.Wire;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Telemetry;
using Corrosion.Agent.Transport;
using Microsoft.Extensions.Logging;

namespace Corrosion.Agent.Replication;

/// <summary>
/// Replication between nodes (DESIGN.md §2, §5): broadcasts local commits and re-broadcasts changes
/// seen for the first time, merges what arrives through <see cref="StorageActor"/>, and repairs what
/// broadcast lost with periodic sync sessions, serving peers' sessions too. The planners decide;
/// this shell does the I/O. Background loops read the transport and post messages to the actor;
/// session tasks talk to storage with asks and never touch the actor's state.
/// </summary>
/// <remarks>
/// The actor does not own the transport: start it before spawning the actor and dispose it after
/// the actor stopped. Peers come from membership as <see cref="PeerUp"/> / <see cref="PeerDown"/>.
/// </remarks>
[SuppressMessage("Reliability", "CA1001:Types that own disposable fields should be disposable", Justification = "Akka owns an actor's lifetime: the token source is cancelled and disposed in PostStop (which a restart runs too).")]
public sealed partial class GossipActor : UntypedActor, IWithTimers
{
    private const string BroadcastTimer = "broadcast-tick";
    private const string SyncTimer = "sync-tick";
    private static long s_rounds;

    private readonly ActorRef<StorageCommand> _storage;
    private readonly IGossipTransport _transport;
    private readonly ActorId _self;
    private readonly ushort _clusterId;
    private readonly GossipOptions _options;
    private readonly BroadcastPlanner _broadcast;
    private readonly SyncPlanner _sync;
    private readonly SyncSessionLimiter _limiter;
    private readonly GossipCounters _counters = new();
    private readonly Dictionary<ActorId, EndPoint> _peers = [];
    private readonly Dictionary<EndPoint, ActorId> _byAddress = [];
    private readonly HashSet<ActorId> _returned = [];
    private readonly HashSet<long> _abandoned = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly TimeProvider _time;
    private readonly NodeTelemetry? _telemetry;
    private readonly SyncDigestBoard _digests;
    private readonly ILogger _log;
    private readonly WriteAdmission? _admission;
    private long _startedAt;
    private long _stateGeneration;
    private long _digestGeneration = -1;
    private long _droppedPending;
    private SyncRound? _round;

    /// <summary>Creates the actor (the factory runs again on every restart, giving fresh planners).</summary>
    /// <param name="storage">The node's storage actor.</param>
    /// <param name="transport">The started gossip transport (not owned).</param>
    /// <param name="self">This node's actor id.</param>
    /// <param name="clusterId">Written on every frame; frames of other clusters are dropped.</param>
    /// <param name="broadcast">Broadcast tuning.</param>
    /// <param name="sync">Sync tuning.</param>
    /// <param name="random">Seeded randomness for both planners.</param>
    /// <param name="options">Batching and deadlines; defaults when null.</param>
    /// <param name="time">The clock the planners read; null for the system clock (timers run on Akka's scheduler).</param>
    /// <param name="telemetry">The node's live figures (pending broadcasts, apply queue); null records none.</param>
    /// <param name="digests">Sync digests shared with membership (ours published, peers' read); null keeps a board of its own that hears no peer.</param>
    /// <param name="admission">The gate local writes pass, closed while a peer trails too far; null delays no write.</param>
    public GossipActor(
        ActorRef<StorageCommand> storage,
        IGossipTransport transport,
        ActorId self,
        ushort clusterId,
        BroadcastOptions broadcast,
        SyncOptions sync,
        Random random,
        GossipOptions? options = null,
        TimeProvider? time = null,
        NodeTelemetry? telemetry = null,
        SyncDigestBoard? digests = null,
        WriteAdmission? admission = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(random);
        _storage = storage;
        _transport = transport;
        _self = self;
        _clusterId = clusterId;
        _options = (options ?? new GossipOptions()).Validate();
        _broadcast = new BroadcastPlanner(self, broadcast, random);
        _sync = new SyncPlanner(self, sync, random);
        _limiter = new SyncSessionLimiter(sync);
        _time = time ?? TimeProvider.System;
        _telemetry = telemetry;
        _digests = digests ?? new SyncDigestBoard(_time);
        _admission = admission;
        _log = Context.LoggerFor<GossipActor>();
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case PeerUp up:
                OnPeerUp(up);
                break;
            case PeerReturned returned:
                OnPeerReturned(returned);
                break;
            case PeerDown down:
                OnPeerDown(down);
                break;
            case GetGossipStats get:
                get.ReplyTo.Tell(_counters.Snapshot(_peers.Count, _broadcast.PendingCount) with { PeerLag = _peerLag, AppliedReportsReceived = _appliedReports });
                break;
            case ReleaseGossipMemory release:
                OnReleaseMemory(release);
                break;
            case StorageEventReceived { Event: ChangesCommitted committed }:
                StateChanged();
                OnCommitted(committed);
                OnLocalCommitted(committed);
                break;
            case StorageEventReceived { Event: ChangesMerged merged }:
                if (!merged.Result.IsEmpty)
                {
                    StateChanged();
                }

                _counters.VersionsApplied(merged.Result.Applied.Sum(static a => a.Versions.Count));
                OnAppliedRemote(merged.Result);
                break;
            case StorageEventReceived:
                break;
            case FramesReceived frames:
                OnFrames(frames);
                break;
            case BroadcastTick:
                OnBroadcastTick();
                break;
            case AppliedReportTick:
                OnAppliedReportTick();
                break;
            case AdmissionCheck:
                CheckAdmission();
                break;
            case SyncTick:
                StartSyncRound();
                break;
            case SyncNow:
                // Sent after an admin change to the bookkeeping (reconcile-gaps), which raises no storage event.
                StateChanged();
                StartSyncRound();
                break;
            case SyncStatesExchanged exchanged:
                OnStatesExchanged(exchanged);
                break;
            case SyncSessionFinished finished:
                OnSessionFinished(finished);
                break;
            case BroadcastMerged merged:
                OnMerged(merged);
                break;
            case SyncChangesetsApplied applied:
                foreach (var changeset in applied.Changesets)
                {
                    _broadcast.MarkSeen(PayloadId.Of(changeset));
                }

                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnBroadcastTick()
    {
        var sends = _broadcast.Tick(NowMs());
        if (ReplicationTrace.Hook is not null)
        {
            foreach (var send in sends)
            {
                ReplicationTrace.Frames("gossip.retransmit", send.Data.Span, send.Address);
            }
        }

        Send(sends);
    }

    /// <summary>The actor's props, with its bounded mailbox (<see cref="NodeMailboxes.Gossip"/>: senders wait).</summary>
    /// <param name="storage">The node's storage actor.</param>
    /// <param name="transport">The started gossip transport (not owned).</param>
    /// <param name="self">This node's actor id.</param>
    /// <param name="clusterId">The cluster id.</param>
    /// <param name="broadcast">Broadcast tuning.</param>
    /// <param name="sync">Sync tuning.</param>
    /// <param name="random">Seeded randomness for both planners (each incarnation draws on).</param>
    /// <param name="options">Batching and deadlines; defaults when null.</param>
    /// <param name="time">The planners' clock; null for the system clock.</param>
    /// <param name="telemetry">The node's live figures; null records none.</param>
    /// <param name="digests">Sync digests shared with membership; null keeps a board of its own.</param>
    /// <param name="admission">The gate local writes pass (closed while a peer trails too far); null delays no write.</param>
    /// <returns>The props.</returns>
    public static Props Props(
        ActorRef<StorageCommand> storage,
        IGossipTransport transport,
        ActorId self,
        ushort clusterId,
        BroadcastOptions broadcast,
        SyncOptions sync,
        Random random,
        GossipOptions? options = null,
        TimeProvider? time = null,
        NodeTelemetry? telemetry = null,
        SyncDigestBoard? digests = null,
        WriteAdmission? admission = null) =>
        Akka.Actor.Props.Create(() => new GossipActor(storage, transport, self, clusterId, broadcast, sync, random, options, time, telemetry, digests, admission))
            .WithMailbox(NodeMailboxes.Gossip);

    /// <inheritdoc />
    protected override void PreStart()
    {
        _startedAt = _time.GetTimestamp();
        // A previous incarnation's digest may describe less than storage holds now: none until this one reads the state.
        _digests.Publish(null);
        // This incarnation knows no peer's lag yet: writes pass until a report says otherwise.
        _admission?.Open();
        var forwarder = Context.ActorOf(StorageEventForwarder.Props(Self.Typed<GossipCommand>()), "storage-events");
        // One event per group commit: each chunk is broadcast alike, and a group's messages cost once.
        _storage.Tell(new SubscribeStorageEvents(forwarder.Typed<StorageEvent>()) { Grouped = true }, Self);
        var self = Self.Typed<GossipCommand>();
        var ct = _stopping.Token;
        _ = Task.Run(() => ReadFramesAsync(self, ct), CancellationToken.None);
        _ = Task.Run(() => AcceptSessionsAsync(ct), CancellationToken.None);
        Timers.StartSingleTimer(SyncTimer, SyncTick.Instance, _sync.NextSyncDelay());
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Runs on a restart too (Akka's PreRestart calls it): the new instance has its own token source.
        Stop();
        _stopping.Dispose();
    }

    private void Stop()
    {
        // Ends the loops and every session task of this instance; their late messages are ignored.
        _stopping.Cancel();
        // A stopped gossip actor must not leave writers waiting.
        _admission?.Open();
        _telemetry?.SetPeerLag(0);
        // Changesets not handed to the writer yet are gone with this incarnation (sync brings them again).
        _telemetry?.AddApplyQueue(-_toMerge.Count);
        _toMerge.Clear();
        _round?.Dispose();
        _round = null;
    }

    private long NowMs() => (long)_time.GetElapsedTime(_startedAt).TotalMilliseconds;

    private void OnPeerUp(PeerUp up)
    {
        if (up.Id == _self)
        {
            return;
        }

        if (_peers.TryGetValue(up.Id, out var old))
        {
            _byAddress.Remove(old);
        }

        _peers[up.Id] = up.GossipAddress;
        _byAddress[up.GossipAddress] = up.Id;
        _broadcast.MemberUp(up.Id, up.GossipAddress);
        // The link is ready before the first changeset for this member, which then pays no connect.
        _transport.Connect(up.GossipAddress);
        ScheduleRetransmissions();
    }

    private void OnPeerReturned(PeerReturned returned)
    {
        if (returned.Id == _self)
        {
            return;
        }

        OnPeerUp(new PeerUp(returned.Id, returned.GossipAddress));
        _sync.ResetBackoff();
        _returned.Add(returned.Id);
        AbandonRound();
        Timers.Cancel(SyncTimer);
        StartSyncRound();
    }

    private void OnPeerDown(PeerDown down)
    {
        _returned.Remove(down.Id);
        if (_peers.Remove(down.Id, out var address))
        {
            _byAddress.Remove(address);
        }

        _broadcast.MemberDown(down.Id);
        _digests.Forget(down.Id);
        OnPeerGone(down.Id);
        ScheduleRetransmissions();
    }

    private void OnCommitted(ChangesCommitted committed)
    {
        using var span = CorrosionTelemetry.Source.StartActivity("corrosion.broadcast", System.Diagnostics.ActivityKind.Producer, committed.Trace);
        span?.SetTag("corrosion.version", committed.Version);
        span?.SetTag("corrosion.peers", _peers.Count);
        var now = NowMs();
        var clusterId = _clusterId;
        foreach (var chunk in committed.Changesets)
        {
            ReplicationTrace.Changeset("gossip.local", chunk);
            _counters.LocalChangeset();
            // Encoded when first sent: with no live member the payload waits, and is mostly dropped unsent.
            SendOnly(_broadcast.Local(PayloadId.Of(chunk), () => ReplicationCodec.Encode(clusterId, new BroadcastChangeset(chunk)), now));
        }

        // Once per event (a group commit's), not per chunk.
        PublishBroadcastState();
    }

    private void OnFrames(FramesReceived received)
    {
        var now = NowMs();
        List<Changeset>? batch = null;
        foreach (var frame in received.Frames)
        {
            var decoded = ReplicationCodec.TryDecode(frame.Frame.Span, _clusterId);
            if (decoded.IsSuccess && decoded.Message is AppliedReport report)
            {
                OnAppliedReport(report);
                continue;
            }

            if (!decoded.IsSuccess || decoded.Message is not BroadcastChangeset broadcast)
            {
                // Malformed, foreign, or not a broadcast at all: nothing on a broadcast link but changesets is expected.
                _counters.DecodeError();
                GossipLog.FrameDropped(_log, frame.Remote, decoded.IsSuccess ? "unexpected " + decoded.Message!.Kind : decoded.Error.ToString(), decoded.Detail);
                continue;
            }

            var from = _byAddress.GetValueOrDefault(frame.Remote);
            var receipt = _broadcast.Received(PayloadId.Of(broadcast.Changeset), from, frame.Frame, now);
            _counters.BroadcastReceived(receipt.IsDuplicate);
            ReplicationTrace.Changeset(receipt.IsDuplicate ? "gossip.dup" : "gossip.recv", broadcast.Changeset, frame.Remote);
            if (receipt.IsDuplicate)
            {
                continue;
            }

            ReplicationMetrics.Received("broadcast", broadcast.Changeset is ChangesetFull full ? full.Changes.Count : 0);
            (batch ??= []).Add(broadcast.Changeset);
            Send(receipt.Sends);
        }

        if (batch is not null)
        {
            QueueMerge(batch);
        }
    }

    private void Send(IReadOnlyList<BroadcastSend> sends)
    {
        SendOnly(sends);
        PublishBroadcastState();
    }

    /// <summary>Hands the sends to the transport; the caller publishes the broadcast state after.</summary>
    private void SendOnly(IReadOnlyList<BroadcastSend> sends)
    {
        foreach (var send in sends)
        {
            if (_transport.TrySend(send.Address, send.Data))
            {
                _counters.BroadcastSent();
            }
            else
            {
                _counters.SendDrop();
            }
        }
    }

    private void OnReleaseMemory(ReleaseGossipMemory release)
    {
        var forgotten = _broadcast.ForgetSeen();
        var dropped = _broadcast.DropPendingWhileAlone();
        if (dropped > 0)
        {
            ReplicationMetrics.BroadcastDropped("alone_when_quiet", dropped);
            PublishBroadcastState();
        }

        release.ReplyTo.Tell(new GossipMemoryReleased(forgotten, dropped));
    }

    /// <summary>Hands the planner's queue figures to the node's telemetry (and its new drops to the metric).</summary>
    private void PublishBroadcastState()
    {
        var dropped = _broadcast.Counters.DroppedPending;
        if (dropped > _droppedPending)
        {
            ReplicationMetrics.BroadcastDropped("pending_full", dropped - _droppedPending);
            _droppedPending = dropped;
        }

        _telemetry?.SetBroadcasts(_broadcast.PendingCount, dropped);
        ScheduleRetransmissions();
    }

    /// <summary>
    /// The retransmission tick runs only while a payload waits for one and a member could receive it,
    /// so an idle node (or one alone) sets no timer here.
    /// </summary>
    private void ScheduleRetransmissions()
    {
        if (_broadcast.PendingCount == 0 || _broadcast.LiveMemberCount == 0)
        {
            Timers.Cancel(BroadcastTimer);
        }
        else if (!Timers.IsTimerActive(BroadcastTimer))
        {
            Timers.StartPeriodicTimer(BroadcastTimer, BroadcastTick.Instance, _broadcast.Options.RetransmitInterval);
        }
    }

    private async Task ReadFramesAsync(ActorRef<GossipCommand> self, CancellationToken ct)
    {
        var reader = _transport.Frames;
        try
        {
            while (await reader.WaitToReadAsync(ct))
            {
                var batch = new List<ReceivedFrame>();
                while (batch.Count < _options.ReceiveBatch && reader.TryRead(out var frame))
                {
                    batch.Add(frame);
                }

                if (batch.Count > 0)
                {
                    // Waiting for room in the mailbox slows the transport's readers down: back-pressure to senders.
                    self.Tell(new FramesReceived(batch));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ChannelClosedException)
        {
        }
    }

    /// <summary>The sync round in progress: its id, the sessions still running, whether it asked for anything, and its cancellation.</summary>
    private sealed class SyncRound : IDisposable
    {
        private readonly CancellationTokenSource _cancel;

        public SyncRound(long id, CancellationToken stopping)
        {
            Id = id;
            _cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            Token = _cancel.Token;
        }

        public long Id { get; }

        /// <summary>Cancelled when the actor stops or the round is given up.</summary>
        public CancellationToken Token { get; }

        /// <summary>The members that came back this round was started for (empty for a timer's round).</summary>
        public IReadOnlyList<ActorId> Returned { get; init; } = [];

        /// <summary>Its sessions' states came back (from then on its sessions release their own slots).</summary>
        public bool Exchanged { get; set; }

        public void Abandon()
        {
            _cancel.Cancel();
            _cancel.Dispose();
        }

        public void Dispose() => _cancel.Dispose();

        public int Running { get; set; }

        public bool FoundNeeds { get; set; }

        /// <summary>Some peer was asked for the round's cap of versions: more is left to ask for.</summary>
        public bool Capped { get; set; }

        /// <summary>A session of the round failed, did not merge all it received, or received nothing.</summary>
        public bool Failed { get; set; }
    }
}
