using Corrosion.Agent.Replication.Admission;
using Corrosion.Agent.Replication.Wire;
using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication;

/// <summary>
/// Cross-node back-pressure (issue 14). As a receiver, this node tells each origin how far it has
/// applied the origin's versions (<see cref="AppliedReport"/>, at most every
/// <see cref="GossipOptions.AppliedReportInterval"/>, only while it merges). As an origin, it closes
/// the <see cref="WriteAdmission"/> gate while a live, recently reporting peer has not applied more
/// than <see cref="GossipOptions.MaxPeerLagChanges"/> of its changes, so local writers slow to what
/// the slowest replica merges and the backlog a peer has when writers stop stays small.
/// </summary>
public sealed partial class GossipActor
{
    private const string AppliedReportTimer = "applied-report";
    private const string AdmissionTimer = "admission-check";

    private readonly PeerLagBoard _lag = new();
    private readonly Dictionary<ActorId, long> _appliedMax = [];
    private readonly HashSet<ActorId> _toReport = [];
    private Func<ActorId, bool>? _isLive;
    private long _peerLag;
    private long _appliedReports;

    // Peers' lag is tracked (and exported) either way; writes wait only with a gate and a bound.
    private bool Gated => _admission is not null && _options.MaxPeerLagChanges > 0;

    private void OnLocalCommitted(ChangesCommitted committed)
    {
        // A group commit's event carries several versions, in order: each is on the board with its own changes.
        var changes = 0L;
        var version = committed.FirstVersion;
        foreach (var chunk in committed.Changesets)
        {
            if (chunk.Version != version)
            {
                _lag.Committed(version, changes);
                (version, changes) = (chunk.Version, 0);
            }

            changes += chunk.Changes.Count;
        }

        _lag.Committed(committed.Version, changes);
        CheckAdmission();
    }

    /// <summary>Remembers the highest version of each origin merged here, to report it.</summary>
    private void OnAppliedRemote(MergeResult result)
    {
        if (_options.AppliedReportInterval <= TimeSpan.Zero)
        {
            return;
        }

        foreach (var applied in result.Applied)
        {
            if (applied.Actor == _self)
            {
                continue;
            }

            if (!_appliedMax.TryGetValue(applied.Actor, out var max) || applied.Versions.End > max)
            {
                _appliedMax[applied.Actor] = applied.Versions.End;
                _toReport.Add(applied.Actor);
            }
        }

        if (_toReport.Count > 0 && !Timers.IsTimerActive(AppliedReportTimer))
        {
            Timers.StartSingleTimer(AppliedReportTimer, AppliedReportTick.Instance, _options.AppliedReportInterval);
        }
    }

    private void OnAppliedReportTick()
    {
        foreach (var origin in _toReport)
        {
            // Only to live members; one that comes back hears from us with the next merge of its versions.
            if (_peers.TryGetValue(origin, out var address))
            {
                _transport.TrySend(address, ReplicationCodec.Encode(_clusterId, new AppliedReport(_self, origin, _appliedMax[origin])));
            }
        }

        _toReport.Clear();
    }

    private void OnAppliedReport(AppliedReport report)
    {
        if (report.Origin != _self || report.Reporter == _self)
        {
            return;
        }

        _appliedReports++;
        _lag.Reported(report.Reporter, report.Version, NowMs());
        CheckAdmission();
    }

    private void OnPeerGone(ActorId peer)
    {
        _lag.Forget(peer);
        _appliedMax.Remove(peer);
        _toReport.Remove(peer);
        CheckAdmission();
    }

    /// <summary>Closes the gate while a counted peer trails too far, opens it otherwise.</summary>
    private void CheckAdmission()
    {
        _isLive ??= _peers.ContainsKey;
        var (_, behind) = _lag.Furthest(_isLive, NowMs(), (long)_options.PeerReportMaxAge.TotalMilliseconds);
        _peerLag = behind;
        _telemetry?.SetPeerLag(behind);
        if (!Gated)
        {
            return;
        }

        if (behind > _options.MaxPeerLagChanges)
        {
            _admission!.Close();
            // Looked at again even if no report comes: one that stops coming must not hold the gate.
            if (!Timers.IsTimerActive(AdmissionTimer))
            {
                Timers.StartSingleTimer(AdmissionTimer, AdmissionCheck.Instance, AdmissionRecheck);
            }
        }
        else
        {
            _admission!.Open();
        }
    }

    private TimeSpan AdmissionRecheck => _options.PeerReportMaxAge / 4;
}
