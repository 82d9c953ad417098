using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Corrosion.Agent.Storage;

/// <summary>What one compaction step (<see cref="CrdtStore.CompactStep"/>) did.</summary>
/// <param name="Examined">Versions looked at (a version whose key check a step's time bound interrupted counts in the step that finishes it; each group of key lists the orphan sweep looks at counts too).</param>
/// <param name="Compacted">Versions found cleared whose bookkeeping was deleted.</param>
/// <param name="More">Something is left to look at: the next step goes on where this one stopped.</param>
internal readonly record struct CompactionStep(int Examined, int Compacted, bool More);

/// <summary>
/// Bookkeeping compaction (DESIGN.md §4: a version whose cells have all been overwritten since is cleared; its
/// <c>__corro_versions</c> row and key lists go). What it looks at is what was overwritten, not what is live:
/// <list type="bullet">
/// <item>Candidates: the versions that lost a cell. The pre-update hook (CrdtStore.Hook.cs) sees every row a statement
/// updates or deletes in a clock table — local writes, merges, by trigger or not — with the row's old clocks, so each
/// cell's (site, db_version) that the new row no longer carries is noted (<see cref="NoteLostCells"/>); a merged
/// version none of whose cells won is noted when it is applied (<see cref="NoteMergedVersion"/>). Kept in memory (at most
/// <see cref="MaxCompactionCandidates"/>), saved at a clean close (<c>__corro_compaction_candidates</c>, marked complete by
/// <c>__corro_meta</c> <c>compaction_candidates</c>) and taken back at the next open, which deletes them from the file.</item>
/// <item>A walk over every site's versions, once, when that set is not complete: a database from before it, a process
/// that did not close cleanly, more candidates than the bound.</item>
/// <item>Waiting: versions that lost their cells but may not go yet (a site's highest, partly received ones), looked at
/// again after the next write.</item>
/// <item>Orphan key lists (<c>__corro_version_keys</c> of an applied version without a row, left by the layout-2
/// migration), swept once (<c>__corro_meta</c> <c>orphan_keys_swept</c>).</item>
/// </list>
/// </summary>
public sealed partial class CrdtStore
{
    /// <summary>How long one compaction step may hold the writer (it stops after the version that crosses it; a version with a long key list is checked in parts).</summary>
    internal static readonly TimeSpan CompactionStepTime = TimeSpan.FromMilliseconds(1);

    /// <summary>The most versions kept as compaction candidates (~30 bytes each); more are dropped and one walk over all versions finds them.</summary>
    internal const int MaxCompactionCandidates = 100_000;

    // Versions are read in runs of at most this many (read, then checked one by one).
    private const int CompactionReadRun = 256;

    // Keys checked between two looks at the clock.
    private const int KeysBetweenClockReads = 64;

    private const string CandidatesDdl = "CREATE TABLE IF NOT EXISTS __corro_compaction_candidates (site_id BLOB NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (site_id, version)) WITHOUT ROWID";

    // Bumped by each merge that applied something: with CurrentVersion, tells whether anything was written since the
    // waiting versions were last looked at.
    private long _mergeGeneration;

    // (site ordinal, version) of versions that lost a cell, not looked at since: the set, and the same in the order noted
    // (looked at oldest first; a HashSet enumerated from its start walks the slots of the ones already removed).
    private readonly HashSet<(long Site, long Version)> _candidates = new();
    private readonly Queue<(long Site, long Version)> _candidateOrder = new();

    // Versions not compactable when looked at although they may be cleared (a site's highest, partly received), and the
    // write generation they were looked at in.
    private readonly HashSet<(long Site, long Version)> _waiting = new();
    private long _waitingGeneration;

    // The walk: needed (not started), or under way over these sites (ordinals), at this site and version.
    private bool _walkNeeded;
    private long[]? _walkSites;
    private int _walkSite;
    private long _walkCursor;

    // A version whose key check a step's time bound interrupted: the next step goes on with it.
    private KeyCheck? _check;

    // The orphan sweep: done (for good), else where it is (in memory: a restart starts it over).
    private bool _orphansSwept = true;
    private (long Site, long Version) _orphanCursor = (long.MinValue, long.MinValue);

    private long WriteGeneration => CurrentVersion + _mergeGeneration;

    /// <summary>True when compaction has something to look at.</summary>
    internal bool CompactionPending =>
        _check is not null || _candidates.Count > 0 || _walkNeeded || _walkSites is not null || !_orphansSwept
        || (_waiting.Count > 0 && _waitingGeneration != WriteGeneration);

    /// <summary>Versions whose bookkeeping compaction deleted since the store was opened.</summary>
    internal long VersionsCompacted { get; private set; }

    /// <summary>Versions waiting to be looked at (tests, benchmarks).</summary>
    internal int CompactionCandidates => _candidates.Count;

    /// <summary>True while the walk over all versions is due or under way (tests).</summary>
    internal bool CompactionWalking => _walkNeeded || _walkSites is not null;

    /// <summary>Groups of orphan key lists the sweep deleted since the store was opened.</summary>
    internal long OrphanKeyListsDeleted { get; private set; }

    /// <summary>
    /// One step of bookkeeping compaction (see the type's remarks): the interrupted key check first, then the candidates
    /// (and, when a write came since they were last looked at, the waiting versions), then the walk, then the orphan
    /// sweep. A version no clock cell (sentinel or column) names any more — checked on the keys its key lists name, as
    /// <see cref="ChangesFor"/> reads them — loses its <c>__corro_versions</c> row and its key lists: sync then answers it
    /// as cleared, as it did before. Each site's highest version keeps its row (a node's next local version and what a
    /// backup names as its last are derived from it); versions partly received or buffered are not touched; the highest
    /// timestamp of the deleted rows is kept in <c>__corro_meta</c> (<c>compacted_ts</c>) for the clock
    /// <see cref="LoadState"/> restores. One transaction per step, at most <paramref name="maxVersions"/> versions and
    /// about <paramref name="maxTime"/> (the version that crosses it is finished, except its key check, which goes on
    /// in the next step). Writer thread only.
    /// </summary>
    internal CompactionStep CompactStep(int maxVersions, TimeSpan maxTime)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxVersions, 1);
        if (!CompactionPending)
        {
            return default;
        }

        if (_waiting.Count > 0 && _waitingGeneration != WriteGeneration)
        {
            var waiting = _waiting.ToList();
            _waiting.Clear();
            foreach (var entry in waiting)
            {
                NoteCandidate(entry);
            }
        }

        _waitingGeneration = WriteGeneration;
        var deadline = maxTime >= TimeSpan.FromDays(1) ? long.MaxValue : Stopwatch.GetTimestamp() + (long)(maxTime.TotalSeconds * Stopwatch.Frequency);
        var examined = 0;
        var compacted = 0;
        long highestTs = 0;
        var taken = new List<(long Site, long Version)>();
        var waited = new List<(long Site, long Version)>();
        var (check, walkNeeded, walkSites, walkSite, walkCursor, orphanCursor, orphansSwept) = (_check, _walkNeeded, _walkSites, _walkSite, _walkCursor, _orphanCursor, _orphansSwept);
        long orphans = 0;
        var interrupted = false;

        bool Full() => examined >= maxVersions || (examined > 0 && Stopwatch.GetTimestamp() > deadline);

        void Judge(KeyCheck done, Verdict verdict)
        {
            examined++;
            switch (verdict)
            {
                case Verdict.Cleared:
                    DeleteVersionBookkeeping(done.Actor, done.Site, done.Version);
                    compacted++;
                    highestTs = Math.Max(highestTs, done.Ts);
                    break;
                case Verdict.Wait:
                    waited.Add((done.Site, done.Version));
                    break;
                case Verdict.Interrupted:
                    _check = done;
                    interrupted = true;
                    examined--;
                    break;
            }
        }

        Begin();
        try
        {
            if (_check is { } pending)
            {
                _check = null;
                Judge(pending, RunKeyCheck(pending, deadline));
            }

            // The candidates, oldest first.
            while (!interrupted && !Full() && _candidateOrder.TryDequeue(out var next))
            {
                _candidates.Remove(next);
                taken.Add(next);
                if (ReadCandidate(next.Site, next.Version, deadline) is { } found)
                {
                    Judge(found.Check, found.Verdict);
                }
            }

            // The walk, once, over the versions the candidates may not name.
            if (!interrupted && !Full() && _walkNeeded)
            {
                _walkNeeded = false;
                _walkSites = _sitesByOrdinal.Keys.Order().ToArray();
                _walkSite = 0;
                _walkCursor = 0;
            }

            var versions = new List<(long Version, byte[]? Keys, long Ts)>();
            while (!interrupted && !Full() && _walkSites is { } sites)
            {
                if (_walkSite >= sites.Length)
                {
                    _walkSites = null;
                    break;
                }

                var site = sites[_walkSite];
                if (!_sitesByOrdinal.TryGetValue(site, out var actor))
                {
                    _walkSite++;
                    _walkCursor = 0;
                    continue;
                }

                ReadCompactionRun(actor, _walkCursor, Math.Min(maxVersions - examined, CompactionReadRun), versions);
                if (versions.Count == 0)
                {
                    // The site's highest is left: it may go once a higher version comes.
                    if (HighestVersion(actor) is { } highest && highest >= _walkCursor)
                    {
                        waited.Add((site, highest));
                    }

                    _walkSite++;
                    _walkCursor = 0;
                    continue;
                }

                foreach (var (version, keys, ts) in versions)
                {
                    if (interrupted || Full())
                    {
                        break;
                    }

                    _walkCursor = version + 1;
                    var next = new KeyCheck(actor, site, version, ts);
                    Judge(next, StartKeyCheck(next, keys, deadline));
                }
            }

            if (!interrupted && !Full() && !_orphansSwept)
            {
                orphans = SweepOrphanKeyLists(maxVersions - examined, deadline, ref examined);
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
            // Back to where the step started (what it took out is looked at again).
            foreach (var entry in taken)
            {
                NoteCandidate(entry);
            }

            (_check, _walkNeeded, _walkSites, _walkSite, _walkCursor, _orphanCursor, _orphansSwept) = (check, walkNeeded, walkSites, walkSite, walkCursor, orphanCursor, orphansSwept);
            Rollback();
            throw;
        }

        foreach (var entry in waited)
        {
            NoteWaiting(entry);
        }

        VersionsCompacted += compacted;
        OrphanKeyListsDeleted += orphans;
        return new CompactionStep(examined, compacted, CompactionPending);
    }

    /// <summary>
    /// Runs compaction until it has nothing left to look at (tests, benchmarks); with <paramref name="walk"/>, walks all
    /// versions too (what the candidates should have named already).
    /// </summary>
    /// <returns>The versions compacted and the steps taken.</returns>
    internal (long Compacted, int Steps) CompactAll(int maxVersionsPerStep = int.MaxValue, TimeSpan? maxTimePerStep = null, bool walk = false)
    {
        if (walk && _walkSites is null)
        {
            _walkNeeded = true;
        }

        // Whatever waits is looked at again.
        _waitingGeneration = -1;
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

    /// <summary>
    /// The pre-update hook saw a row of a clock table updated or deleted (<paramref name="op"/>): notes each (site,
    /// version) one of its old cells — the sentinel or a column's — named and the new row does not (a deleted row: every
    /// one). True when the table is a clock table (nothing else to do with the row). Reads the row's old and new clocks
    /// as the hook has them (no statement): 4 calls into SQLite per cell a local write leaves alone, 6–8 otherwise.
    /// </summary>
    private unsafe bool NoteLostCells(IntPtr db, int op, byte* database, byte* table)
    {
        var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(table);
        if (!name.EndsWith("__corro_clock_rows"u8) || !MemoryMarshal.CreateReadOnlySpanFromNullTerminated(database).SequenceEqual("main"u8))
        {
            return false;
        }

        CrrTable? crr = null;
        foreach (var candidate in _tablesById)
        {
            if (name.SequenceEqual(candidate.ClockNameUtf8))
            {
                crr = candidate;
                break;
            }
        }

        if (crr is null)
        {
            return true;
        }

        const int ok = 0;
        foreach (var (dbAt, siteAt) in crr.ClockCellPositions)
        {
            // db_version 0 (NULL reads as 0): no cell, or a placeholder sentinel without origin (versions start at 1).
            if (SqliteNative.sqlite3_preupdate_old(db, dbAt, out var value) != ok)
            {
                throw new InvalidOperationException($"{crr.Name}: no clock column {dbAt} in the hook's row");
            }

            var version = SqliteNative.sqlite3_value_int64(value);
            if (version == 0)
            {
                continue;
            }

            if (op == HookUpdate && SqliteNative.sqlite3_preupdate_new(db, dbAt, out value) == ok && SqliteNative.sqlite3_value_int64(value) == version)
            {
                // Same db_version: the same cell, unless the site changed. A local write gives a cell only (site 0,
                // its own version): a cell with another db_version is one it left alone.
                if (_localWrite && version != _pendingVersion)
                {
                    continue;
                }

                if (SqliteNative.sqlite3_preupdate_old(db, siteAt, out value) == ok && SqliteNative.sqlite3_preupdate_new(db, siteAt, out var newSite) == ok
                    && SqliteNative.sqlite3_value_int64(value) == SqliteNative.sqlite3_value_int64(newSite))
                {
                    continue;
                }
            }

            if (SqliteNative.sqlite3_preupdate_old(db, siteAt, out value) != ok)
            {
                throw new InvalidOperationException($"{crr.Name}: no clock column {siteAt} in the hook's row");
            }

            NoteCandidate((SqliteNative.sqlite3_value_int64(value), version));
        }

        return true;
    }

    /// <summary><see cref="NoteLostCells"/> from the hook, which must not throw: a failure plans the walk (which finds what was not noted).</summary>
    private unsafe bool NoteLostCellsSafely(IntPtr db, int op, byte* database, byte* table)
    {
        try
        {
            return NoteLostCells(db, op, database, table);
        }
        catch (Exception)
        {
            ForgetCandidates();
            return false;
        }
    }

    /// <summary>A merged version was applied: when none of its cells won (no key list names it), nothing will ever overwrite one, so it is a candidate now.</summary>
    private void NoteMergedVersion(long site, long version)
    {
        foreach (var table in _tablesById)
        {
            if (_mergedKeys.ContainsKey((table, site, version)))
            {
                return;
            }
        }

        NoteCandidate((site, version));
    }

    private void NoteCandidate((long Site, long Version) version)
    {
        if (_candidates.Count + _waiting.Count >= MaxCompactionCandidates && !_candidates.Contains(version))
        {
            // Too many to keep: one walk over everything finds them (the ones from now on are noted again).
            ForgetCandidates();
        }

        if (_candidates.Add(version))
        {
            _candidateOrder.Enqueue(version);
        }
    }

    /// <summary>Drops every candidate and plans the walk (which finds them all).</summary>
    private void ForgetCandidates()
    {
        _candidates.Clear();
        _candidateOrder.Clear();
        _waiting.Clear();
        _walkSites = null;
        _walkNeeded = true;
    }

    private void NoteWaiting((long Site, long Version) version)
    {
        if (_candidates.Count + _waiting.Count < MaxCompactionCandidates)
        {
            _waiting.Add(version);
        }
        else
        {
            NoteCandidate(version);
        }
    }

    private enum Verdict
    {
        Live,
        Cleared,
        Wait,
        Interrupted,
    }

    /// <summary>A version's key check: the key lists it reads (table name, keys) and how far it got.</summary>
    private sealed class KeyCheck(ActorId actor, long site, long version, long ts)
    {
        public ActorId Actor { get; } = actor;
        public long Site { get; } = site;
        public long Version { get; } = version;
        public long Ts { get; } = ts;
        public List<(string Table, List<long> Keys)> Lists { get; } = new();
        public int List { get; set; }
        public int Key { get; set; }
    }

    /// <summary>A candidate's row and the start of its check; null when it has no row (compacted, or never had one).</summary>
    private (KeyCheck Check, Verdict Verdict)? ReadCandidate(long site, long version, long deadline)
    {
        if (!_sitesByOrdinal.TryGetValue(site, out var actor))
        {
            return null;
        }

        var read = Prepared("SELECT keys, ts, version >= (SELECT max(version) FROM __corro_versions WHERE site_id = ?1) FROM __corro_versions WHERE site_id = ?1 AND version = ?2");
        read.BindBlob(1, actor.ToByteArray()).Bind(2, version);
        byte[]? keys;
        long ts;
        bool highest;
        try
        {
            if (!read.Step())
            {
                return null;
            }

            (keys, ts, highest) = (read.IsNull(0) ? null : read.GetBlob(0), read.GetInt64(1), read.GetInt64(2) != 0);
        }
        finally
        {
            read.Reset();
        }

        var check = new KeyCheck(actor, site, version, ts);
        return (check, highest ? Verdict.Wait : StartKeyCheck(check, keys, deadline));
    }

    private long? HighestVersion(ActorId actor)
    {
        var read = Prepared("SELECT max(version) FROM __corro_versions WHERE site_id = ?1");
        read.BindBlob(1, actor.ToByteArray());
        try
        {
            return read.Step() && !read.IsNull(0) ? read.GetInt64(0) : null;
        }
        finally
        {
            read.Reset();
        }
    }

    /// <summary>Up to <paramref name="count"/> of the actor's versions from <paramref name="from"/> on, below its highest.</summary>
    private void ReadCompactionRun(ActorId actor, long from, int count, List<(long Version, byte[]? Keys, long Ts)> into)
    {
        into.Clear();
        var read = Prepared("SELECT version, keys, ts FROM __corro_versions WHERE site_id = ?1 AND version >= ?2 AND version < (SELECT max(version) FROM __corro_versions WHERE site_id = ?1) ORDER BY version LIMIT ?3");
        read.BindBlob(1, actor.ToByteArray()).Bind(2, from).Bind(3, count);
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
    /// Starts the check of a version below its site's highest: <see cref="Verdict.Wait"/> when it is not applied or is
    /// partly received or buffered; else reads its key lists (the rows <see cref="CollectVersion"/> reads: what it finds
    /// there, this finds) and checks them (<see cref="RunKeyCheck"/>).
    /// </summary>
    private Verdict StartKeyCheck(KeyCheck check, byte[]? rowKeys, long deadline)
    {
        if (!IsApplied(check.Actor, check.Version))
        {
            return Verdict.Wait;
        }

        var partial = Prepared("SELECT EXISTS (SELECT 1 FROM __corro_seq_bookkeeping WHERE site_id = ?1 AND version = ?2) OR EXISTS (SELECT 1 FROM __corro_buffered_changes WHERE site_id = ?1 AND version = ?2)");
        partial.BindBlob(1, check.Actor.ToByteArray()).Bind(2, check.Version);
        try
        {
            if (partial.Step() && partial.GetInt64(0) != 0)
            {
                return Verdict.Wait;
            }
        }
        finally
        {
            partial.Reset();
        }

        var lists = rowKeys is null ? new Dictionary<string, List<long>>(StringComparer.OrdinalIgnoreCase) : VersionKeys.Decode(rowKeys);
        var read = Prepared("SELECT tbl, keys FROM __corro_version_keys WHERE site = ?1 AND db_version = ?2");
        read.Bind(1, check.Site).Bind(2, check.Version);
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

        foreach (var (table, keys) in lists)
        {
            check.Lists.Add((table, keys));
        }

        return RunKeyCheck(check, deadline);
    }

    /// <summary>
    /// Goes on with a version's key check: <see cref="Verdict.Live"/> at the first clock row that still has a cell of
    /// it, <see cref="Verdict.Cleared"/> when none has, <see cref="Verdict.Interrupted"/> when the step's time is up (looked
    /// at every <see cref="KeysBetweenClockReads"/> keys; once a cell stops naming a version none names it again, so the
    /// keys already checked stay checked).
    /// </summary>
    private Verdict RunKeyCheck(KeyCheck check, long deadline)
    {
        var sinceClock = 0;
        for (; check.List < check.Lists.Count; check.List++, check.Key = 0)
        {
            var (name, keys) = check.Lists[check.List];
            if (!_tables.TryGetValue(name, out var table))
            {
                continue;
            }

            var live = Prepared(table.LiveCellSql());
            for (; check.Key < keys.Count; check.Key++)
            {
                if (++sinceClock > KeysBetweenClockReads)
                {
                    sinceClock = 0;
                    if (Stopwatch.GetTimestamp() > deadline)
                    {
                        return Verdict.Interrupted;
                    }
                }

                live.Bind(1, keys[check.Key]).Bind(2, check.Site).Bind(3, check.Version);
                try
                {
                    if (live.Step())
                    {
                        return Verdict.Live;
                    }
                }
                finally
                {
                    live.Reset();
                }
            }
        }

        return Verdict.Cleared;
    }

    /// <summary>
    /// Deletes up to <paramref name="budget"/> groups of orphan key lists (<c>__corro_version_keys</c> rows of a (site,
    /// version) this node has applied but holds no <c>__corro_versions</c> row of: <see cref="ChangesFor"/> never reads
    /// them, and no row comes for an applied version), going on from where the last step stopped; marks the sweep done
    /// when it reaches the end. The number of groups deleted.
    /// </summary>
    private long SweepOrphanKeyLists(int budget, long deadline, ref int examined)
    {
        var read = Prepared("SELECT DISTINCT site, db_version FROM __corro_version_keys WHERE site > ?1 OR (site = ?1 AND db_version > ?2) ORDER BY site, db_version LIMIT ?3");
        var groups = new List<(long Site, long Version)>();
        read.Bind(1, _orphanCursor.Site).Bind(2, _orphanCursor.Version).Bind(3, Math.Min(budget, CompactionReadRun));
        try
        {
            while (read.Step())
            {
                groups.Add((read.GetInt64(0), read.GetInt64(1)));
            }
        }
        finally
        {
            read.Reset();
        }

        long deleted = 0;
        var stopped = false;
        foreach (var (site, version) in groups)
        {
            if (examined > 0 && Stopwatch.GetTimestamp() > deadline)
            {
                stopped = true;
                break;
            }

            examined++;
            _orphanCursor = (site, version);
            if (!_sitesByOrdinal.TryGetValue(site, out var actor) || !IsApplied(actor, version))
            {
                continue;
            }

            var row = Prepared("SELECT EXISTS (SELECT 1 FROM __corro_versions WHERE site_id = ?1 AND version = ?2)");
            row.BindBlob(1, actor.ToByteArray()).Bind(2, version);
            bool exists;
            try
            {
                exists = row.Step() && row.GetInt64(0) != 0;
            }
            finally
            {
                row.Reset();
            }

            if (!exists)
            {
                Prepared("DELETE FROM __corro_version_keys WHERE site = ?1 AND db_version = ?2").Bind(1, site).Bind(2, version).Run();
                deleted++;
            }
        }

        if (!stopped && groups.Count < Math.Min(budget, CompactionReadRun))
        {
            _orphansSwept = true;
            Prepared("INSERT OR REPLACE INTO __corro_meta (key, value) VALUES ('orphan_keys_swept', 1)").Run();
        }

        return deleted;
    }

    private void DeleteVersionBookkeeping(ActorId actor, long ordinal, long version)
    {
        Prepared("DELETE FROM __corro_versions WHERE site_id = ?1 AND version = ?2").BindBlob(1, actor.ToByteArray()).Bind(2, version).Run();
        Prepared("DELETE FROM __corro_version_keys WHERE site = ?1 AND db_version = ?2").Bind(1, ordinal).Bind(2, version).Run();
    }

    /// <summary>
    /// At open (after <see cref="LoadState"/>): takes back the candidates the last clean close saved, or, when there are
    /// none saved as complete and the database has versions, plans the walk; plans the orphan sweep unless done (a
    /// database without key lists has nothing to sweep). The saved candidates leave the file: if this process does not
    /// close cleanly, the next open walks.
    /// </summary>
    private void LoadCompaction()
    {
        NativeStatement.Exec(_db, CandidatesDdl);
        // Read here rather than in the hook's first call.
        foreach (var table in _tablesById)
        {
            _ = table.ClockCellPositions;
        }

        bool Flag(string key)
        {
            var read = Prepared("SELECT EXISTS (SELECT 1 FROM __corro_meta WHERE key = ?1)");
            read.Bind(1, key);
            try
            {
                return read.Step() && read.GetInt64(0) != 0;
            }
            finally
            {
                read.Reset();
            }
        }

        var saved = Flag("compaction_candidates");
        _orphansSwept = Flag("orphan_keys_swept");
        Begin();
        try
        {
            if (saved)
            {
                var read = Prepared("SELECT site_id, version FROM __corro_compaction_candidates");
                try
                {
                    while (read.Step())
                    {
                        if (_siteOrdinals.TryGetValue(ActorId.FromBytes(read.GetBlob(0)), out var site))
                        {
                            NoteCandidate((site, read.GetInt64(1)));
                        }
                    }
                }
                finally
                {
                    read.Reset();
                }

                NativeStatement.Exec(_db, "DELETE FROM __corro_compaction_candidates; DELETE FROM __corro_meta WHERE key = 'compaction_candidates'");
            }
            else
            {
                var any = Prepared("SELECT EXISTS (SELECT 1 FROM __corro_versions)");
                _walkNeeded = any.Step() && any.GetInt64(0) != 0;
                any.Reset();
            }

            if (!_orphansSwept)
            {
                var any = Prepared("SELECT EXISTS (SELECT 1 FROM __corro_version_keys)");
                var lists = any.Step() && any.GetInt64(0) != 0;
                any.Reset();
                if (!lists)
                {
                    _orphansSwept = true;
                    NativeStatement.Exec(_db, "INSERT OR REPLACE INTO __corro_meta (key, value) VALUES ('orphan_keys_swept', 1)");
                }
            }

            Commit();
        }
        catch
        {
            Rollback();
            throw;
        }
    }

    /// <summary>
    /// At a clean close: saves what compaction has left to look at (the candidates, the waiting versions, an interrupted
    /// check's version) and marks it complete, so the next open does not walk. Not during the walk (the next open walks
    /// again), nor inside a transaction. Failing only costs that walk.
    /// </summary>
    private void SaveCompaction()
    {
        if (_walkNeeded || _walkSites is not null || SQLitePCL.raw.sqlite3_get_autocommit(_db) == 0)
        {
            return;
        }

        try
        {
            Begin();
            var insert = Prepared("INSERT OR IGNORE INTO __corro_compaction_candidates (site_id, version) VALUES (?1, ?2)");
            var all = _candidates.Concat(_waiting);
            if (_check is { } check)
            {
                all = all.Append((check.Site, check.Version));
            }

            foreach (var (site, version) in all)
            {
                if (_sitesByOrdinal.TryGetValue(site, out var actor))
                {
                    insert.BindBlob(1, actor.ToByteArray()).Bind(2, version).Run();
                }
            }

            Prepared("INSERT OR REPLACE INTO __corro_meta (key, value) VALUES ('compaction_candidates', 1)").Run();
            Commit();
        }
        catch (SqlException e)
        {
            StoreLog.CompactionNotSaved(_logger, e);
            if (SQLitePCL.raw.sqlite3_get_autocommit(_db) == 0)
            {
                NativeStatement.Exec(_db, "ROLLBACK");
            }
        }
    }
}
