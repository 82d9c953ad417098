using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Replication.Admission;

/// <summary>
/// How far each peer trails this node's own versions, in changes (sans-IO, fed by
/// <see cref="GossipActor"/>): the local commits (version and change count) on one side, the
/// peers' <see cref="Wire.AppliedReport"/>s (the highest of our versions each has applied) on the
/// other. Only peers alive in membership and reporting within the report age count, so a peer that
/// is down, partitioned or of an earlier release (which never reports) never holds writes back.
/// </summary>
public sealed class PeerLagBoard
{
    /// <summary>Most local commits remembered to turn a reported version into changes behind (older ones count as all behind).</summary>
    public const int DefaultHistory = 16_384;

    private readonly int _history;
    private readonly List<(long Version, long ChangesThrough)> _commits = [];
    private readonly Dictionary<ActorId, (long Version, long AtMs)> _reports = [];
    private int _first;
    private long _forgottenThrough;
    private long _changes;

    /// <summary>Creates an empty board.</summary>
    /// <param name="history">Most local commits remembered.</param>
    public PeerLagBoard(int history = DefaultHistory)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(history, 1);
        _history = history;
    }

    /// <summary>The latest local version committed (0 before any).</summary>
    public long Head { get; private set; }

    /// <summary>Peers with a report on the board.</summary>
    public int Reporting => _reports.Count;

    /// <summary>A local commit: <paramref name="version"/> carried <paramref name="changes"/> changes.</summary>
    public void Committed(long version, long changes)
    {
        if (version <= Head)
        {
            return;
        }

        _changes += Math.Max(0, changes);
        _commits.Add((version, _changes));
        Head = version;
        if (_commits.Count - _first > _history)
        {
            _forgottenThrough = _commits[_first].ChangesThrough;
            _first++;
            if (_first >= _history)
            {
                _commits.RemoveRange(0, _first);
                _first = 0;
            }
        }
    }

    /// <summary>A peer reported it has applied our versions up to <paramref name="version"/> (an older report than the last is ignored).</summary>
    public void Reported(ActorId peer, long version, long nowMs)
    {
        if (_reports.TryGetValue(peer, out var last) && last.Version > version)
        {
            _reports[peer] = (last.Version, nowMs);
            return;
        }

        _reports[peer] = (version, nowMs);
    }

    /// <summary>Forgets a peer (it went down).</summary>
    public void Forget(ActorId peer) => _reports.Remove(peer);

    /// <summary>Changes of ours committed after <paramref name="applied"/> (0 when it is at or past the head).</summary>
    public long ChangesAfter(long applied)
    {
        if (applied >= Head)
        {
            return 0;
        }

        // The last remembered commit at or below the applied version; none: everything remembered is after it.
        int lo = _first, hi = _commits.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_commits[mid].Version <= applied)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return _changes - (found < 0 ? _forgottenThrough : _commits[found].ChangesThrough);
    }

    /// <summary>
    /// The peer trailing furthest, among those <paramref name="isLive"/> says are alive whose last report is at most
    /// <paramref name="maxAgeMs"/> old, and by how many changes; (null, 0) when none counts.
    /// </summary>
    public (ActorId? Peer, long Changes) Furthest(Func<ActorId, bool> isLive, long nowMs, long maxAgeMs)
    {
        ArgumentNullException.ThrowIfNull(isLive);
        ActorId? furthest = null;
        var most = 0L;
        foreach (var (peer, report) in _reports)
        {
            if (nowMs - report.AtMs > maxAgeMs || !isLive(peer))
            {
                continue;
            }

            var behind = ChangesAfter(report.Version);
            if (furthest is null || behind > most)
            {
                furthest = peer;
                most = behind;
            }
        }

        return furthest is null ? (null, 0) : (furthest, most);
    }
}
