using Akka.Actor;
using Corrosion.Agent.Actors;
using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Replication.Wire;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Transport;

using Corrosion.Agent.Telemetry;

namespace Corrosion.Agent.Replication;

/// <summary>Sync rounds this node starts: choose peers, exchange states, ask each for a disjoint part, apply the answers.</summary>
public sealed partial class GossipActor
{
    private void StartSyncRound()
    {
        if (_round is not null)
        {
            return;
        }

        IReadOnlyList<ActorId> chosen;
        var forReturned = _returned.Count > 0;
        if (forReturned)
        {
            // Members that came back: ask them (and only them) now; the timer's rounds go on as usual.
            chosen = _returned.Where(_peers.ContainsKey).Take(_sync.Options.MaxPeers).ToList();
            _returned.ExceptWith(chosen);
            _returned.IntersectWith(_peers.Keys);
            _counters.ReturnedPeerSyncs(chosen.Count);
        }
        else
        {
            var members = new List<ActorId>(_peers.Count + 1) { _self };
            if (CurrentDigest() is { } ours)
            {
                // Our state is known without a read: peers that said they hold the same have nothing for us.
                var maxAge = _sync.Options.DigestMaxAge;
                members.AddRange(_peers.Keys.Where(id => !_digests.Matches(id, ours, maxAge)));
                if (members.Count <= _peers.Count)
                {
                    _counters.SyncPeersSkipped(_peers.Count + 1 - members.Count);
                }
            }
            else
            {
                members.AddRange(_peers.Keys);
            }

            chosen = _sync.ChoosePeers(members, static id => id, clusterSize: _peers.Count + 1);
        }

        if (chosen.Count == 0)
        {
            FinishRound(foundNeeds: false);
            return;
        }

        var round = new SyncRound(Interlocked.Increment(ref s_rounds), _stopping.Token) { Returned = forReturned ? chosen : [] };
        _round = round;
        var peers = chosen.Select(id => (id, _peers[id])).ToList();
        var self = Self.Typed<GossipCommand>();
        var ct = round.Token;
        var stopping = _stopping.Token;
        var generation = _stateGeneration;
        // A returned member is synced with whatever the digests say: the partition may have hidden its datagrams.
        var skipMatching = _sync.Options.SkipMatchingDigests && !forReturned;
        _ = Task.Run(() => ExchangeStatesAsync(self, round.Id, peers, generation, skipMatching, ct, stopping), CancellationToken.None);
    }

    /// <summary>Storage changed what this node has: its digest is unknown until the next read of its state.</summary>
    private void StateChanged()
    {
        _stateGeneration++;
        if (_digestGeneration >= 0)
        {
            _digestGeneration = -1;
            _digests.Publish(null);
        }
    }

    /// <summary>This node's digest when no change was seen since it was read and it is younger than <c>digest_max_age</c>; null otherwise.</summary>
    private SyncDigest? CurrentDigest() =>
        _sync.Options.SkipMatchingDigests && _digestGeneration == _stateGeneration && _digests.LocalAge <= _sync.Options.DigestMaxAge
            ? _digests.Local
            : null;

    /// <summary>
    /// Gives up the round in progress (a member came back and must not wait behind it: a session
    /// cut by the partition may otherwise hold the round until its timeout). Its sessions end, what
    /// they already received is applied, and its late messages are ignored.
    /// </summary>
    private void AbandonRound()
    {
        if (_round is not { } round)
        {
            return;
        }

        if (!round.Exchanged)
        {
            // Its sessions come back in SyncStatesExchanged: their slots are released there.
            _abandoned.Add(round.Id);
        }

        // Members that came back and were being synced with go into the next round.
        _returned.UnionWith(round.Returned.Where(_peers.ContainsKey));
        round.Abandon();
        _round = null;
        _counters.SyncRoundAbandoned();
    }

    /// <param name="foundNeeds">The round asked for something.</param>
    /// <param name="more">
    /// Every session succeeded and a peer was asked for the round's cap of versions: what is left (a fresh node pulling
    /// a large database) is asked for at once, not after the pause.
    /// </param>
    private void FinishRound(bool foundNeeds, bool more = false)
    {
        _round?.Dispose();
        _round = null;
        _sync.RoundFinished(foundNeeds);
        _counters.SyncRound();
        if (_returned.Count > 0)
        {
            // A member came back while the round ran: its round starts now.
            Timers.Cancel(SyncTimer);
            StartSyncRound();
            return;
        }

        if (more)
        {
            _counters.SyncRoundContinued();
            Timers.Cancel(SyncTimer);
            StartSyncRound();
            return;
        }

        Timers.StartSingleTimer(SyncTimer, SyncTick.Instance, _sync.NextSyncDelay());
    }

    private void OnStatesExchanged(SyncStatesExchanged exchanged)
    {
        if (exchanged.Digest is { } digest && exchanged.Generation == _stateGeneration && _sync.Options.SkipMatchingDigests)
        {
            // No change was seen since the state was read: the digest is ours as now, until the next change.
            _digestGeneration = _stateGeneration;
            _digests.Publish(digest);
        }

        if (_round is not { } round || round.Id != exchanged.Round)
        {
            if (_abandoned.Remove(exchanged.Round))
            {
                // A round this incarnation gave up: its slots were taken from this limiter.
                foreach (var _ in exchanged.Sessions)
                {
                    _limiter.ReleaseOutgoing();
                }
            }

            // Otherwise a round of a previous incarnation, whose slots were taken from that incarnation's limiter.
            _ = DisposeAllAsync(exchanged.Sessions);
            return;
        }

        round.Exchanged = true;

        if (exchanged.Ours is null || exchanged.Sessions.Count == 0)
        {
            FinishRound(foundNeeds: false);
            return;
        }

        Dictionary<ActorId, SyncPeerRequest> requests;
        try
        {
            requests = _sync.AssignRequests(_handed.Apply(exchanged.Ours), exchanged.Sessions.Select(static s => s.Theirs).ToList())
                .ToDictionary(static r => r.Peer);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // A peer's state made no sense (the codec checks shape, not meaning): skip this round.
            GossipLog.SyncRoundFailed(_log, e);
            foreach (var open in exchanged.Sessions)
            {
                _counters.SyncSessionFailed("client");
                _limiter.ReleaseOutgoing();
            }

            _ = DisposeAllAsync(exchanged.Sessions);
            FinishRound(foundNeeds: false);
            return;
        }

        GossipLog.SyncRoundStarted(_log, exchanged.Sessions.Count, requests.Count);
        round.FoundNeeds = requests.Count > 0;
        round.Capped = requests.Values.Any(r => r.VersionCount >= _sync.Options.MaxVersionsPerRound);
        round.Running = exchanged.Sessions.Count;
        var self = Self.Typed<GossipCommand>();
        var ct = round.Token;
        var stopping = _stopping.Token;
        foreach (var open in exchanged.Sessions)
        {
            var needs = requests.TryGetValue(open.Theirs.Actor, out var request) ? ToWire(request) : [];
            var planned = new PlannedSyncSession(open, new SyncRequest(needs));
            _ = Task.Run(() => RunSessionAsync(self, round.Id, planned, ct, stopping), CancellationToken.None);
        }
    }

    private void OnSessionFinished(SyncSessionFinished finished)
    {
        if (_round is not { } round || round.Id != finished.Round)
        {
            return;
        }

        round.Failed |= !finished.Succeeded;
        if (--round.Running == 0)
        {
            FinishRound(round.FoundNeeds, more: round.Capped && !round.Failed);
        }
    }

    private static async Task DisposeAllAsync(IReadOnlyList<OpenSyncSession> sessions)
    {
        foreach (var open in sessions)
        {
            await open.Session.DisposeAsync();
        }
    }

    private static List<SyncNeed> ToWire(SyncPeerRequest request) =>
        request.Needs
            .Select(static n => new SyncNeed(n.Actor, n.Versions, n.Partials.Select(static p => new PartialNeed(p.Version, p.Seqs)).ToList()))
            .ToList();

    /// <summary>Reads our state, opens a session to each peer and swaps states; reports the open sessions to the actor.</summary>
    private async Task ExchangeStatesAsync(
        ActorRef<GossipCommand> self,
        long round,
        List<(ActorId Id, System.Net.EndPoint Address)> peers,
        long generation,
        bool skipMatching,
        CancellationToken ct,
        CancellationToken stopping)
    {
        SyncState? ours = null;
        SyncDigest? digest = null;
        OpenSyncSession?[] opened = [];
        try
        {
            ours = await _storage.Ask<SyncState>(static r => new ReadSyncState(r), _options.StorageTimeout, ct);
            var current = SyncDigest.Of(ours);
            digest = current;
            if (skipMatching)
            {
                var maxAge = _sync.Options.DigestMaxAge;
                var before = peers.Count;
                peers = peers.Where(p => !_digests.Matches(p.Id, current, maxAge)).ToList();
                if (peers.Count < before)
                {
                    _counters.SyncPeersSkipped(before - peers.Count);
                }
            }

            var state = ReplicationCodec.Encode(_clusterId, new SyncStateMessage(ours));
            opened = await Task.WhenAll(peers.Select(p => OpenAsync(p.Id, p.Address, state, ct)));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever went wrong, the actor must hear back, or sync would stop for good.
            GossipLog.SyncRoundFailed(_log, e);
            ours = null;
        }

        var sessions = opened.OfType<OpenSyncSession>().ToList();
        self.Tell(new SyncStatesExchanged(round, ours, sessions, digest, generation));
        if (stopping.IsCancellationRequested)
        {
            // The actor stopped: the message may have gone to dead letters with the sessions in it.
            foreach (var open in sessions)
            {
                await open.Session.DisposeAsync();
            }
        }
    }

    private async Task<OpenSyncSession?> OpenAsync(ActorId peer, System.Net.EndPoint address, byte[] ourState, CancellationToken ct)
    {
        if (!_limiter.TryAcquireOutgoing())
        {
            return null;
        }

        ISyncSession? session = null;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(_options.SessionTimeout);
            _counters.SyncSessionOpening();
            session = await _transport.OpenSessionAsync(address, deadline.Token);
            await session.SendAsync(ourState, deadline.Token);
            var reply = await session.ReceiveAsync(deadline.Token)
                ?? throw new InvalidDataException("the peer closed the session before sending its sync state");
            var decoded = ReplicationCodec.TryDecode(reply.Span, _clusterId);
            return decoded.Message switch
            {
                SyncStateMessage theirs => new OpenSyncSession(peer, session, theirs.State),
                SyncReject reject => throw new InvalidDataException($"the peer refused the session: {reject.Reason} {reject.Detail}"),
                _ => throw new InvalidDataException($"expected a sync state, got {(decoded.IsSuccess ? decoded.Message!.Kind.ToString() : decoded.Error.ToString())}"),
            };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _counters.SyncSessionFailed("client");
            GossipLog.SyncSessionFailed(_log, address, e);
            if (session is not null)
            {
                await session.DisposeAsync();
            }

            _limiter.ReleaseOutgoing();
            return null;
        }
    }

    /// <summary>Sends the request and applies the changesets that stream back until the peer is done.</summary>
    private async Task RunSessionAsync(ActorRef<GossipCommand> self, long round, PlannedSyncSession planned, CancellationToken ct, CancellationToken stopping)
    {
        var session = planned.Open.Session;
        // A session is a trace of its own, whatever was current where its task began.
        System.Diagnostics.Activity.Current = null;
        using var span = CorrosionTelemetry.Source.StartActivity("corrosion.sync.session", System.Diagnostics.ActivityKind.Client);
        span?.SetTag("corrosion.peer", planned.Open.Peer.ToString());
        var batch = new List<Changeset>();
        var batchChanges = 0;
        // The batch handed to the writer while the next one is received: the peer's reads and the transfer overlap our
        // merges (at most two batches held).
        Task<bool>? applying = null;
        var merged = true;
        var succeeded = false;
        var received = 0;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var progress = new SessionProgress(deadline, _options.SessionTimeout);
            await session.SendAsync(ReplicationCodec.Encode(_clusterId, planned.Request), deadline.Token);
            while (true)
            {
                var frame = await session.ReceiveAsync(deadline.Token)
                    ?? throw new InvalidDataException("the peer closed the session before it was done");
                progress.Moved();
                var decoded = ReplicationCodec.TryDecode(frame.Span, _clusterId);
                if (decoded.Message is SyncDone)
                {
                    break;
                }

                if (decoded.Message is not SyncChangeset answer)
                {
                    _counters.DecodeError();
                    throw new InvalidDataException($"expected a sync changeset, got {(decoded.IsSuccess ? decoded.Message!.Kind.ToString() : decoded.Error.ToString())}");
                }

                batch.Add(answer.Changeset);
                received++;
                batchChanges += answer.Changeset is ChangesetFull full ? full.Changes.Count : 1;
                if (batchChanges >= _options.ApplyBatchChanges)
                {
                    if (applying is not null)
                    {
                        merged &= await applying;
                    }

                    applying = ApplySyncedAsync(self, batch, deadline.Token);
                    batch = [];
                    batchChanges = 0;
                }
            }

            if (applying is not null)
            {
                merged &= await applying;
                applying = null;
            }

            merged &= await ApplySyncedAsync(self, batch, deadline.Token);
            await session.CompleteAsync();
            _counters.SyncSessionSucceeded();
            // A batch that did not merge is asked for again by a later round, not by one started at once; so is a
            // session that brought nothing (a peer that cannot serve what it advertised must not make rounds run
            // back to back).
            succeeded = merged && received > 0;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (!ct.IsCancellationRequested)
            {
                _counters.SyncSessionFailed("client");
                span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
                GossipLog.SyncSessionFailed(_log, session.Remote, e);
            }

            // What arrived before the failure (or before the round was given up) is still good: the batch being
            // merged finishes first, so the versions still go to the writer in order.
            if (applying is not null)
            {
                try
                {
                    await applying;
                }
                catch (Exception previous) when (previous is not OutOfMemoryException)
                {
                    // The next round asks again.
                }
            }

            if (batch.Count > 0 && !stopping.IsCancellationRequested)
            {
                await TryApplySyncedAsync(self, batch, stopping);
            }
        }
        finally
        {
            await session.DisposeAsync();
            _limiter.ReleaseOutgoing();
            self.Tell(new SyncSessionFinished(round, succeeded));
        }
    }

    private async Task TryApplySyncedAsync(ActorRef<GossipCommand> self, List<Changeset> batch, CancellationToken ct)
    {
        try
        {
            await ApplySyncedAsync(self, batch, ct);
        }
        catch (Exception e) when (e is AskTimeoutException or OperationCanceledException)
        {
            // The next round asks again.
        }
    }

    /// <summary>Merges sync answers (storage retries a failed batch one by one, so one bad changeset cannot hold back the rest).</summary>
    /// <returns>Whether the batch merged without an error.</returns>
    private async Task<bool> ApplySyncedAsync(ActorRef<GossipCommand> self, List<Changeset> batch, CancellationToken ct)
    {
        if (batch.Count == 0)
        {
            return true;
        }

        _counters.SyncChangesetsReceived(batch.Count);
        if (ReplicationTrace.Hook is not null)
        {
            foreach (var changeset in batch)
            {
                ReplicationTrace.Changeset("sync.recv", changeset);
            }
        }

        ReplicationMetrics.Received("sync", batch.Sum(static c => c is ChangesetFull full ? full.Changes.Count : 0));
        var outcome = await _storage.Ask<ApplyOutcome>(r => new ApplyChangesets(batch, r), _options.StorageTimeout, ct);
        if (outcome.Error is not null)
        {
            GossipLog.SyncApplyFailed(_log, batch.Count, outcome.Error);
        }

        self.Tell(new SyncChangesetsApplied(batch));
        return outcome.Error is null;
    }
}
