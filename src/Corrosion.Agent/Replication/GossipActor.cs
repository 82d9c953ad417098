using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Threading.Channels;
using Corrosion.Actors;
using Corrosion.Agent.Replication.Broadcast;
using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Replication.Wire;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

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
[SuppressMessage("Reliability", "CA1001:Types that own disposable fields should be disposable", Justification = "The kernel owns an actor's lifetime: the token source is cancelled and disposed in PostStop.")]
public sealed partial class GossipActor : Actor<GossipCommand>
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
    private readonly CancellationTokenSource _stopping = new();
    private ILogger _log = NullLogger.Instance;
    private long _startedAt;
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
    public GossipActor(
        ActorRef<StorageCommand> storage,
        IGossipTransport transport,
        ActorId self,
        ushort clusterId,
        BroadcastOptions broadcast,
        SyncOptions sync,
        Random random,
        GossipOptions? options = null)
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
    }

    /// <inheritdoc />
    protected override async ValueTask PreStart()
    {
        _startedAt = Context.Time.GetTimestamp();
        _log = Context.Log;
        var forwarder = Context.Spawn(() => new StorageEventForwarder(Context.Self), "storage-events");
        await _storage.TellAsync(new SubscribeStorageEvents(forwarder));
        var self = Context.Self;
        var ct = _stopping.Token;
        _ = Task.Run(() => ReadFramesAsync(self, ct), CancellationToken.None);
        _ = Task.Run(() => AcceptSessionsAsync(ct), CancellationToken.None);
        Context.Timers.StartPeriodicTimer(BroadcastTimer, BroadcastTick.Instance, _broadcast.Options.RetransmitInterval);
        Context.Timers.StartSingleTimer(SyncTimer, SyncTick.Instance, _sync.NextSyncDelay());
    }

    /// <inheritdoc />
    protected override ValueTask PreRestart(Exception cause)
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected override ValueTask PostStop()
    {
        Stop();
        _stopping.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Stop()
    {
        // Ends the loops and every session task of this instance; their late messages are ignored.
        _stopping.Cancel();
        _round = null;
    }

    /// <inheritdoc />
    protected override ValueTask OnReceive(GossipCommand message)
    {
        switch (message)
        {
            case PeerUp up:
                OnPeerUp(up);
                break;
            case PeerDown down:
                OnPeerDown(down);
                break;
            case GetGossipStats get:
                get.ReplyTo.Tell(_counters.Snapshot(_peers.Count, _broadcast.PendingCount));
                break;
            case StorageEventReceived { Event: ChangesCommitted committed }:
                OnCommitted(committed);
                break;
            case StorageEventReceived { Event: ChangesMerged merged }:
                _counters.VersionsApplied(merged.Result.Applied.Sum(static a => a.Versions.Count));
                break;
            case FramesReceived frames:
                return OnFramesAsync(frames);
            case BroadcastTick:
                Send(_broadcast.Tick(NowMs()));
                break;
            case SyncTick:
                StartSyncRound();
                break;
            case SyncStatesExchanged exchanged:
                OnStatesExchanged(exchanged);
                break;
            case SyncSessionFinished finished:
                OnSessionFinished(finished);
                break;
            case SyncChangesetsApplied applied:
                foreach (var changeset in applied.Changesets)
                {
                    _broadcast.MarkSeen(PayloadId.Of(changeset));
                }

                break;
        }

        return ValueTask.CompletedTask;
    }

    private long NowMs() => (long)Context.Time.GetElapsedTime(_startedAt).TotalMilliseconds;

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
    }

    private void OnPeerDown(PeerDown down)
    {
        if (_peers.Remove(down.Id, out var address))
        {
            _byAddress.Remove(address);
        }

        _broadcast.MemberDown(down.Id);
    }

    private void OnCommitted(ChangesCommitted committed)
    {
        var now = NowMs();
        foreach (var chunk in committed.Changesets)
        {
            var frame = ReplicationCodec.Encode(_clusterId, new BroadcastChangeset(chunk));
            Send(_broadcast.Local(PayloadId.Of(chunk), frame, now));
        }
    }

    private async ValueTask OnFramesAsync(FramesReceived received)
    {
        var now = NowMs();
        List<Changeset>? batch = null;
        foreach (var frame in received.Frames)
        {
            var decoded = ReplicationCodec.TryDecode(frame.Frame.Span, _clusterId);
            if (!decoded.IsSuccess || decoded.Message is not BroadcastChangeset broadcast)
            {
                // Malformed, foreign, or not a broadcast at all: nothing on a broadcast link but changesets is expected.
                _counters.DecodeError();
                GossipLog.FrameDropped(_log, frame.Remote, decoded.IsSuccess ? "unexpected " + decoded.Message!.Kind : decoded.Error.ToString(), decoded.Detail);
                continue;
            }

            _counters.BroadcastReceived();
            var from = _byAddress.GetValueOrDefault(frame.Remote);
            var receipt = _broadcast.Received(PayloadId.Of(broadcast.Changeset), from, frame.Frame, now);
            if (receipt.IsDuplicate)
            {
                _counters.BroadcastDuplicate();
                continue;
            }

            (batch ??= []).Add(broadcast.Changeset);
            Send(receipt.Sends);
        }

        if (batch is not null)
        {
            // Frames read together merge in one transaction; a failed merge is logged by storage and repaired by sync.
            await _storage.TellAsync(new ApplyChangesets(batch, null));
        }
    }

    private void Send(IReadOnlyList<BroadcastSend> sends)
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
                    // Awaiting room in the mailbox slows the transport's readers down: back-pressure to senders.
                    await self.TellAsync(new FramesReceived(batch), ct);
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

    /// <summary>The sync round in progress: its id, the sessions still running, and whether it asked for anything.</summary>
    private sealed class SyncRound(long id)
    {
        public long Id { get; } = id;

        public int Running { get; set; }

        public bool FoundNeeds { get; set; }
    }
}
