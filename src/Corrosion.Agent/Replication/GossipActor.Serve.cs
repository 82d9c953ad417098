using System.Threading.Channels;
using Corrosion.Agent.Replication.Sync;
using Corrosion.Agent.Replication.Wire;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Transport;

namespace Corrosion.Agent.Replication;

/// <summary>Sync sessions peers open: swap states, then stream what they ask for and say done.</summary>
public sealed partial class GossipActor
{
    private async Task AcceptSessionsAsync(CancellationToken ct)
    {
        var reader = _transport.IncomingSessions;
        try
        {
            while (await reader.WaitToReadAsync(ct))
            {
                while (reader.TryRead(out var session))
                {
                    if (_limiter.TryAcquireIncoming())
                    {
                        _ = Task.Run(() => ServeAsync(session, ct), CancellationToken.None);
                    }
                    else
                    {
                        _counters.SyncSessionFailed("server");
                        _ = Task.Run(() => RejectAsync(session, SyncRejectReason.Busy, "too many sync sessions at once"), CancellationToken.None);
                    }
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

    private async Task RejectAsync(ISyncSession session, SyncRejectReason reason, string detail)
    {
        try
        {
            using var deadline = new CancellationTokenSource(_options.SessionTimeout);
            await session.SendAsync(ReplicationCodec.Encode(_clusterId, new SyncReject(reason, detail)), deadline.Token);
            await session.CompleteAsync();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The peer counts the refusal either way.
        }
        finally
        {
            await session.DisposeAsync();
        }
    }

    private async Task ServeAsync(ISyncSession session, CancellationToken ct)
    {
        // A session is a trace of its own, whatever was current where its task began.
        System.Diagnostics.Activity.Current = null;
        using var span = Telemetry.CorrosionTelemetry.Source.StartActivity("corrosion.sync.serve", System.Diagnostics.ActivityKind.Server);
        span?.SetTag("corrosion.peer", session.Remote.ToString());
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var progress = new SessionProgress(deadline, _options.SessionTimeout);
            var token = deadline.Token;
            var opening = await session.ReceiveAsync(token);
            if (opening is null)
            {
                return;
            }

            var decoded = ReplicationCodec.TryDecode(opening.Value.Span, _clusterId);
            if (decoded.Message is not SyncStateMessage)
            {
                _counters.DecodeError();
                var reason = decoded.Error == DecodeError.ForeignCluster ? SyncRejectReason.WrongCluster : SyncRejectReason.BadRequest;
                await session.SendAsync(ReplicationCodec.Encode(_clusterId, new SyncReject(reason, "a session opens with a sync state")), token);
                await session.CompleteAsync();
                _counters.SyncSessionFailed("server");
                return;
            }

            var ours = await _storage.Ask<SyncState>(static r => new ReadSyncState(r), _options.StorageTimeout, token);
            await session.SendAsync(ReplicationCodec.Encode(_clusterId, new SyncStateMessage(ours)), token);
            var next = await session.ReceiveAsync(token);
            if (next is null)
            {
                // The peer needed nothing.
                _counters.SyncSessionServed();
                return;
            }

            if (ReplicationCodec.TryDecode(next.Value.Span, _clusterId).Message is not SyncRequest request)
            {
                _counters.DecodeError();
                throw new InvalidDataException("expected a sync request");
            }

            foreach (var need in request.Needs)
            {
                await ServeNeedAsync(session, need, ours.Heads.GetValueOrDefault(need.Actor), progress, token);
            }

            await session.SendAsync(ReplicationCodec.Encode(_clusterId, SyncDone.Instance), token);
            await session.CompleteAsync();
            _counters.SyncSessionServed();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            if (!ct.IsCancellationRequested)
            {
                _counters.SyncSessionFailed("server");
                GossipLog.ServeFailed(_log, session.Remote, e);
            }
        }
        finally
        {
            await session.DisposeAsync();
            _limiter.ReleaseIncoming();
        }
    }

    /// <summary>Streams one actor's wanted versions (read a few at a time) and the wanted parts of partial versions.</summary>
    private async Task ServeNeedAsync(ISyncSession session, SyncNeed need, long ourHead, SessionProgress progress, CancellationToken ct)
    {
        foreach (var range in need.Versions)
        {
            // Nothing above our head exists here; clamping also bounds what a bogus request can cost.
            var end = Math.Min(range.End, ourHead);
            // Steps computed so that none overflows near long.MaxValue.
            for (var start = Math.Max(range.Start, 1); start <= end;)
            {
                var partEnd = end - start < _options.ServeReadVersions ? end : start + _options.ServeReadVersions - 1;
                var changes = 0L;
                var covered = start - 1;
                foreach (var changeset in await ReadChangesAsync(need.Actor, new VersionRange(start, partEnd), _options.ServeReadChanges, ct))
                {
                    await SendChangesetAsync(session, changeset, progress, ct);
                    (changes, covered) = changeset switch
                    {
                        ChangesetFull full => (changes + full.Changes.Count, Math.Max(covered, full.Version)),
                        ChangesetEmpty empty => (changes, Math.Max(covered, empty.Versions.End)),
                        _ => (changes, covered),
                    };
                }

                // A read that reached serve_read_changes stopped after the last version it covered: go on from there.
                var next = changes >= _options.ServeReadChanges && covered < partEnd ? covered : partEnd;
                if (next == end)
                {
                    break;
                }

                start = next + 1;
            }
        }

        foreach (var partial in need.Partials)
        {
            if (partial.Version < 1 || partial.Version > ourHead)
            {
                continue;
            }

            foreach (var changeset in await ReadChangesAsync(need.Actor, VersionRange.Single(partial.Version), int.MaxValue, ct))
            {
                // A cleared version closes the gap whole; of a full one, only the chunks that hold wanted seqs.
                if (changeset is ChangesetEmpty
                    || (changeset is ChangesetFull full && partial.Seqs.Any(s => s.Start <= full.Seqs.End && full.Seqs.Start <= s.End)))
                {
                    await SendChangesetAsync(session, changeset, progress, ct);
                }
            }
        }
    }

    private Task<IReadOnlyList<Changeset>> ReadChangesAsync(ActorId actor, VersionRange versions, int maxChanges, CancellationToken ct) =>
        _storage.Ask<IReadOnlyList<Changeset>>(r => new ReadChanges(actor, versions, r, maxChanges), _options.StorageTimeout, ct);

    private async Task SendChangesetAsync(ISyncSession session, Changeset changeset, SessionProgress progress, CancellationToken ct)
    {
        await session.SendAsync(ReplicationCodec.Encode(_clusterId, new SyncChangeset(changeset)), ct);
        progress.Moved();
        _counters.SyncChangesetServed();
    }
}
