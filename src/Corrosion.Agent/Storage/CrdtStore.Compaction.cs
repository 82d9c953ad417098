using System.Buffers.Binary;
using System.Diagnostics;

namespace Corrosion.Agent.Storage;

/// <summary>What one compaction step (<see cref="CrdtStore.CompactStep"/>) did.</summary>
/// <param name="Examined">Versions looked at.</param>
/// <param name="Compacted">Versions found cleared whose bookkeeping was deleted.</param>
/// <param name="More">The pass is not finished: the next step goes on where this one stopped.</param>
internal readonly record struct CompactionStep(int Examined, int Compacted, bool More);

public sealed partial class CrdtStore
{
    /// <summary>How long one compaction step may hold the writer (it stops after the version that crosses it).</summary>
    internal static readonly TimeSpan CompactionStepTime = TimeSpan.FromMilliseconds(1);

    // Versions are looked at in runs of at most this many (read, then checked one by one).
    private const int CompactionReadRun = 256;

    // Bumped by each merge that applied something: with CurrentVersion, tells whether anything may have overwritten cells
    // since the last compaction pass started.
    private long _mergeGeneration;

    // The write generation the last (or the running) pass started at; -1: none yet in this process.
    private long _compactedGeneration = -1;

    // The running pass: the sites it walks (the ones known when it started), its phase (0: versions above what earlier
    // passes looked at, 1: those below, again), the site it is at and the next version of that site to look at. Not
    // persisted: a restart starts a new pass, all of whose versions are new to it.
    private ActorId[]? _compactSites;
    private int _compactPhase;
    private int _compactSite;
    private long _compactCursor;

    // Per site: the highest version a pass has looked at (the bound between the two phases), as of the running pass's
    // start (_compactBound) and now (_compactSeen).
    private readonly Dictionary<ActorId, long> _compactSeen = new();
    private Dictionary<ActorId, long> _compactBound = new();

    private long WriteGeneration => CurrentVersion + _mergeGeneration;

    /// <summary>True when a compaction pass is under way or something was written since the last one started.</summary>
    internal bool CompactionPending => _compactSites is not null || _compactedGeneration != WriteGeneration;

    /// <summary>Versions whose bookkeeping compaction deleted since the store was opened.</summary>
    internal long VersionsCompacted { get; private set; }

    /// <summary>
    /// One step of bookkeeping compaction (DESIGN.md §4: a version whose cells have all been overwritten since is
    /// cleared). A pass walks every site's versions in order, first those no pass has looked at yet (written since the
    /// last one: where overwrites are likely, so a constant writer is kept up with however many live versions the
    /// database holds), then the others again; a version no clock cell (sentinel or column) names any
    /// more — checked on the keys its key lists name, as <see cref="ChangesFor"/> reads them — loses its
    /// <c>__corro_versions</c> row and its key lists (<c>keys</c> in that row, <c>__corro_version_keys</c>): sync then
    /// answers it as cleared, as it did before. Each site's highest version keeps its row (a node's next local version
    /// and what a backup names as its last are derived from it); versions partly received or buffered are not touched;
    /// the highest timestamp of the deleted rows is kept in <c>__corro_meta</c> (<c>compacted_ts</c>) for the clock
    /// <see cref="LoadState"/> restores. One transaction per step, at most <paramref name="maxVersions"/> versions and
    /// about <paramref name="maxTime"/> (the version that crosses it is finished). A new pass starts only when something
    /// was written since the last one started. Writer thread only.
    /// </summary>
    internal CompactionStep CompactStep(int maxVersions, TimeSpan maxTime)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxVersions, 1);
        if (_compactSites is null)
        {
            if (_compactedGeneration == WriteGeneration)
            {
                return default;
            }

            _compactedGeneration = WriteGeneration;
            _compactSites = _siteOrdinals.Keys.ToArray();
            _compactBound = new Dictionary<ActorId, long>(_compactSeen);
            _compactPhase = 0;
            _compactSite = 0;
            _compactCursor = _compactSites.Length > 0 ? Bound(_compactSites[0]) + 1 : 0;
        }

        var deadline = maxTime >= TimeSpan.FromDays(1) ? long.MaxValue : Stopwatch.GetTimestamp() + (long)(maxTime.TotalSeconds * Stopwatch.Frequency);
        var examined = 0;
        var compacted = 0;
        long highestTs = 0;
        var run = new List<(long Version, byte[]? Keys, long Ts)>();
        Begin();
        try
        {
            var stop = false;
            while (!stop && _compactPhase < 2 && examined < maxVersions)
            {
                if (_compactSite >= _compactSites.Length)
                {
                    // Phase 0 done (the versions written since the last pass: where overwrites are likely), then the
                    // older ones, which only overwrites since their last look can have cleared.
                    _compactPhase++;
                    _compactSite = 0;
                    _compactCursor = 0;
                    continue;
                }

                var actor = _compactSites[_compactSite];
                var through = _compactPhase == 0 ? long.MaxValue : Bound(actor);
                ReadCompactionRun(actor, _compactCursor, through, Math.Min(maxVersions - examined, CompactionReadRun), run);
                if (run.Count == 0)
                {
                    _compactSite++;
                    _compactCursor = _compactSite < _compactSites.Length && _compactPhase == 0 ? Bound(_compactSites[_compactSite]) + 1 : 0;
                    continue;
                }

                var ordinal = _siteOrdinals[actor];
                foreach (var (version, keys, ts) in run)
                {
                    if (examined > 0 && Stopwatch.GetTimestamp() > deadline)
                    {
                        stop = true;
                        break;
                    }

                    examined++;
                    _compactCursor = version + 1;
                    if (_compactPhase == 0)
                    {
                        _compactSeen[actor] = version;
                    }
                    if (IsCleared(actor, ordinal, version, keys))
                    {
                        DeleteVersionBookkeeping(actor, ordinal, version);
                        compacted++;
                        highestTs = Math.Max(highestTs, ts);
                    }
                }
            }

            if (highestTs > 0)
            {
                Prepared("INSERT INTO __corro_meta (key, value) VALUES ('compacted_ts', ?1) ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)")
                    .Bind(1, highestTs).Run();
            }

            Commit();
        }
        catch
        {
            // The pass starts over (its cursor ran ahead of what was rolled back).
            _compactSites = null;
            _compactedGeneration = -1;
            Rollback();
            throw;
        }

        if (_compactPhase >= 2 || (_compactPhase == 1 && _compactSite >= _compactSites.Length))
        {
            _compactSites = null;
        }

        VersionsCompacted += compacted;
        return new CompactionStep(examined, compacted, _compactSites is not null);
    }

    /// <summary>Runs a whole compaction pass now, whatever was written since the last one (tests, benchmarks).</summary>
    /// <returns>The versions compacted and the steps taken.</returns>
    internal (long Compacted, int Steps) CompactAll(int maxVersionsPerStep = int.MaxValue, TimeSpan? maxTimePerStep = null)
    {
        _compactSites = null;
        _compactedGeneration = -1;
        long compacted = 0;
        var steps = 0;
        CompactionStep step;
        do
        {
            step = CompactStep(maxVersionsPerStep, maxTimePerStep ?? TimeSpan.MaxValue);
            compacted += step.Compacted;
            steps++;
        }
        while (step.More);
        return (compacted, steps);
    }

    private long Bound(ActorId actor) => _compactBound.GetValueOrDefault(actor);

    /// <summary>Up to <paramref name="count"/> of the actor's versions from <paramref name="from"/> through <paramref name="through"/>, below its highest.</summary>
    private void ReadCompactionRun(ActorId actor, long from, long through, int count, List<(long Version, byte[]? Keys, long Ts)> into)
    {
        into.Clear();
        var read = Prepared("SELECT version, keys, ts FROM __corro_versions WHERE site_id = ?1 AND version >= ?2 AND version <= ?4 AND version < (SELECT max(version) FROM __corro_versions WHERE site_id = ?1) ORDER BY version LIMIT ?3");
        read.BindBlob(1, actor.ToByteArray()).Bind(2, from).Bind(3, count).Bind(4, through);
        try
        {
            while (read.Step())
            {
                into.Add((read.GetInt64(0), read.IsNull(1) ? null : read.GetBlob(1), read.GetInt64(2)));
            }
        }
        finally
        {
            read.Reset();
        }
    }

    /// <summary>
    /// True when (actor, version) is applied, not partly received or buffered, and no clock cell names it any more in
    /// the rows its key lists name (the rows <see cref="CollectVersion"/> reads: what it finds there, this finds).
    /// </summary>
    private bool IsCleared(ActorId actor, long ordinal, long version, byte[]? rowKeys)
    {
        if (!IsApplied(actor, version))
        {
            return false;
        }

        var partial = Prepared("SELECT EXISTS (SELECT 1 FROM __corro_seq_bookkeeping WHERE site_id = ?1 AND version = ?2) OR EXISTS (SELECT 1 FROM __corro_buffered_changes WHERE site_id = ?1 AND version = ?2)");
        partial.BindBlob(1, actor.ToByteArray()).Bind(2, version);
        try
        {
            if (partial.Step() && partial.GetInt64(0) != 0)
            {
                return false;
            }
        }
        finally
        {
            partial.Reset();
        }

        var lists = rowKeys is null ? new Dictionary<string, List<long>>(StringComparer.OrdinalIgnoreCase) : VersionKeys.Decode(rowKeys);
        var read = Prepared("SELECT tbl, keys FROM __corro_version_keys WHERE site = ?1 AND db_version = ?2");
        read.Bind(1, ordinal).Bind(2, version);
        try
        {
            while (read.Step())
            {
                var table = read.GetText(0);
                if (!lists.TryGetValue(table, out var keys))
                {
                    keys = new List<long>();
                    lists[table] = keys;
                }

                var blob = read.GetUtf8(1);
                for (var i = 0; i + 8 <= blob.Length; i += 8)
                {
                    keys.Add(BinaryPrimitives.ReadInt64BigEndian(blob[i..]));
                }
            }
        }
        finally
        {
            read.Reset();
        }

        foreach (var (name, keys) in lists)
        {
            if (!_tables.TryGetValue(name, out var table))
            {
                continue;
            }

            var live = Prepared(table.LiveCellSql());
            foreach (var key in keys)
            {
                live.Bind(1, key).Bind(2, ordinal).Bind(3, version);
                try
                {
                    if (live.Step())
                    {
                        return false;
                    }
                }
                finally
                {
                    live.Reset();
                }
            }
        }

        return true;
    }

    private void DeleteVersionBookkeeping(ActorId actor, long ordinal, long version)
    {
        Prepared("DELETE FROM __corro_versions WHERE site_id = ?1 AND version = ?2").BindBlob(1, actor.ToByteArray()).Bind(2, version).Run();
        Prepared("DELETE FROM __corro_version_keys WHERE site = ?1 AND db_version = ?2").Bind(1, ordinal).Bind(2, version).Run();
    }
}
