namespace Corrosion.Agent.Storage;

public sealed partial class CrdtStore
{
    /// <summary>
    /// Merges a batch of changesets in one transaction (DESIGN.md §4). Complete versions are
    /// applied; chunks of incomplete versions are buffered in SQLite until seq 0..last_seq is
    /// covered, then applied atomically; empty changesets mark versions applied. Versions already
    /// applied are skipped, so the same changeset twice changes nothing.
    /// </summary>
    public MergeResult Apply(IReadOnlyList<Changeset> changesets)
    {
        ArgumentNullException.ThrowIfNull(changesets);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var applied = new List<ActorVersions>();
        var changed = new List<Change>();
        var buffered = new List<ActorVersions>();
        if (changesets.Count == 0)
        {
            return new MergeResult(applied, changed, buffered);
        }

        var created = new List<(string Table, IReadOnlyList<SqlValue> Pk)>();
        ForgetKeyCeilings();
        Begin();
        _rowCache = default;
        _rowFresh = false;
        _created = created;
        try
        {
            foreach (var changeset in changesets)
            {
                switch (changeset)
                {
                    case ChangesetEmpty empty:
                        ApplyEmpty(empty, applied);
                        break;
                    case ChangesetFull full:
                        ApplyFull(full, applied, changed, buffered);
                        break;
                    default:
                        throw new ArgumentException($"unknown changeset type {changeset.GetType().Name}", nameof(changesets));
                }
            }

            FlushRow();
            FlushMergedKeys();
            Commit();
        }
        catch
        {
            _rowCache = default;
            _rowFresh = false;
            _pending = default;
            _mergedKeys.Clear();
            Rollback();
            throw;
        }

        _rowCache = default;
        _rowFresh = false;
        _created = null;
        if (applied.Count > 0)
        {
            // Cells may have been overwritten: compaction has something new to look at.
            _mergeGeneration++;
        }

        return new MergeResult(applied, changed, buffered) { Created = created };
    }

    private void ApplyEmpty(ChangesetEmpty empty, List<ActorVersions> applied)
    {
        if (empty.Versions.Start < 1 || empty.Versions.End < empty.Versions.Start)
        {
            throw new ArgumentException($"invalid version range {empty.Versions} from {empty.Actor}");
        }

        var set = AppliedOf(empty.Actor);
        foreach (var (start, end) in set.Missing(empty.Versions.Start, empty.Versions.End))
        {
            DropBuffered(empty.Actor, start, end);
            MarkApplied(empty.Actor, start, end);
            applied.Add(new ActorVersions(empty.Actor, new VersionRange(start, end)));
        }
    }

    private void ApplyFull(ChangesetFull full, List<ActorVersions> applied, List<Change> changed, List<ActorVersions> buffered)
    {
        if (full.Version < 1 || full.Seqs.Start < 0 || full.Seqs.End < full.Seqs.Start || full.Seqs.End > full.LastSeq)
        {
            throw new ArgumentException($"invalid changeset {full.Actor} v{full.Version} seqs {full.Seqs} last {full.LastSeq}");
        }

        if (IsApplied(full.Actor, full.Version))
        {
            return;
        }

        _hlc = Math.Max(_hlc, full.Timestamp);
        IReadOnlyList<Change> changes;
        if (full.IsComplete)
        {
            changes = full.Changes;
            DropBuffered(full.Actor, full.Version, full.Version);
        }
        else if (!BufferChunk(full, out var complete))
        {
            buffered.Add(new ActorVersions(full.Actor, VersionRange.Single(full.Version)));
            return;
        }
        else
        {
            changes = complete;
        }

        var site = SiteOrdinal(full.Actor);
        foreach (var change in changes)
        {
            if (MergeChange(change, change.SiteId == full.Actor ? site : SiteOrdinal(change.SiteId)))
            {
                changed.Add(change);
            }
        }

        NoteMergedVersion(site, full.Version);

        // An upsert, not a REPLACE: a row of this node's own versions (a restored copy serving its
        // previous identity) keeps its key list.
        Prepared("INSERT INTO __corro_versions (site_id, version, last_seq, ts) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (site_id, version) DO UPDATE SET last_seq = excluded.last_seq, ts = excluded.ts")
            .BindBlob(1, full.Actor.ToByteArray()).Bind(2, full.Version).Bind(3, full.LastSeq).Bind(4, (long)full.Timestamp).Run();
        MarkApplied(full.Actor, full.Version, full.Version);
        applied.Add(new ActorVersions(full.Actor, VersionRange.Single(full.Version)));
    }

    /// <summary>Stores a chunk; when the version's seqs are now all present, returns all its changes in seq order.</summary>
    private bool BufferChunk(ChangesetFull full, out List<Change> complete)
    {
        complete = new List<Change>();
        var actor = full.Actor.ToByteArray();
        var insert = Prepared("INSERT OR IGNORE INTO __corro_buffered_changes (site_id, version, seq, tbl, pk, cid, val, col_version, db_version, change_site, cl) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
        foreach (var c in full.Changes)
        {
            insert.BindBlob(1, actor).Bind(2, full.Version).Bind(3, c.Seq).Bind(4, c.Table).BindBlob(5, ValueCodec.Encode(c.Pk))
                .Bind(6, c.Cid).Bind(7, c.Value).Bind(8, c.ColVersion).Bind(9, c.DbVersion).BindBlob(10, c.SiteId.ToByteArray()).Bind(11, c.Cl).Run();
        }

        var seqs = new RangeSet();
        var read = Prepared("SELECT start_seq, end_seq FROM __corro_seq_bookkeeping WHERE site_id = ?1 AND version = ?2");
        read.BindBlob(1, actor).Bind(2, full.Version);
        while (read.Step())
        {
            seqs.Add(read.GetInt64(0), read.GetInt64(1));
        }

        read.Reset();
        var (removed, merged) = seqs.Add(full.Seqs.Start, full.Seqs.End);
        var delete = Prepared("DELETE FROM __corro_seq_bookkeeping WHERE site_id = ?1 AND version = ?2 AND start_seq = ?3");
        foreach (var r in removed)
        {
            delete.BindBlob(1, actor).Bind(2, full.Version).Bind(3, r.Start).Run();
        }

        if (!seqs.Covers(0, full.LastSeq))
        {
            Prepared("INSERT OR REPLACE INTO __corro_seq_bookkeeping (site_id, version, start_seq, end_seq, last_seq, ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .BindBlob(1, actor).Bind(2, full.Version).Bind(3, merged.Start).Bind(4, merged.End).Bind(5, full.LastSeq).Bind(6, (long)full.Timestamp).Run();
            return false;
        }

        var load = Prepared("SELECT tbl, pk, cid, val, col_version, db_version, change_site, cl, seq FROM __corro_buffered_changes WHERE site_id = ?1 AND version = ?2 ORDER BY seq");
        load.BindBlob(1, actor).Bind(2, full.Version);
        try
        {
            while (load.Step())
            {
                complete.Add(new Change(
                    load.GetText(0),
                    ValueCodec.Decode(load.GetBlob(1)),
                    load.GetText(2),
                    load.GetValue(3),
                    load.GetInt64(4),
                    load.GetInt64(5),
                    ActorId.FromBytes(load.GetBlob(6)),
                    load.GetInt64(7),
                    load.GetInt64(8)));
            }
        }
        finally
        {
            load.Reset();
        }

        DropBuffered(full.Actor, full.Version, full.Version);
        return true;
    }

    private void DropBuffered(ActorId actor, long start, long end)
    {
        var blob = actor.ToByteArray();
        Prepared("DELETE FROM __corro_buffered_changes WHERE site_id = ?1 AND version BETWEEN ?2 AND ?3").BindBlob(1, blob).Bind(2, start).Bind(3, end).Run();
        Prepared("DELETE FROM __corro_seq_bookkeeping WHERE site_id = ?1 AND version BETWEEN ?2 AND ?3").BindBlob(1, blob).Bind(2, start).Bind(3, end).Run();
    }

    /// <summary>
    /// Merges one change against the local cell; returns true when user data changed.
    /// Order: causal length, col_version, value, site id (DESIGN.md §4).
    /// </summary>
    private (CrrTable? Table, IReadOnlyList<SqlValue>? Pk, long? Key, (long ColVersion, long DbVersion, long? Site, long Seq)? Sentinel) _rowCache;

    private ulong _rowWritten;
    private readonly HashSet<int> _rowWrittenWide = new();
    private bool _rowFresh;

    // The merged cells of the row in _rowCache not yet written to its table: written in one
    // statement when the merge moves to another row (or deletes this one, or commits), instead of
    // one UPDATE per cell.
    private (CrrTable? Table, IReadOnlyList<SqlValue>? Pk, bool Insert, SqlValue?[]? Values) _pending;

    private ref (CrrTable? Table, IReadOnlyList<SqlValue>? Pk, bool Insert, SqlValue?[]? Values) Pending(CrrTable table, IReadOnlyList<SqlValue> pk)
    {
        if (_pending.Table is null)
        {
            _pending = (table, pk, false, new SqlValue?[table.Schema.ValueColumns.Count]);
        }

        return ref _pending;
    }

    private void FlushRow()
    {
        if (_pending is { Table: { } table, Pk: { } pk, Values: { } values } row)
        {
            _pending = default;
            if (row.Insert || values.Any(v => v is not null))
            {
                table.WriteRow(pk, row.Insert, values);
            }
        }
    }

    // The clock of a row that has cells but no sentinel row: causal length 1, no origin.
    private static readonly (long ColVersion, long DbVersion, long? Site, long Seq) NoSentinel = (1, 0, null, 0);

    private bool MergeChange(Change change, long site)
    {
        // Changes of one table arrive together: the previous change's table is checked first.
        var table = _rowCache.Table is { } last && string.Equals(last.Name, change.Table, StringComparison.Ordinal) ? last : null;
        if (table is null && !_tables.TryGetValue(change.Table, out table))
        {
            throw new SqlException($"change for unknown table {change.Table}");
        }

        var column = change.IsSentinel ? CrrTable.SentinelColumn : table.ValueIndex(change.Cid);
        if (column < 0 && !change.IsSentinel)
        {
            throw new SqlException($"change for unknown column {change.Table}.{change.Cid}");
        }

        // Changes of one row arrive together (seq order), so the row's key and causal length are
        // looked up once per row, not once per cell.
        long? key;
        (long ColVersion, long DbVersion, long? Site, long Seq)? sentinel;
        if (_rowCache.Table == table && _rowCache.Pk is { } cachedPk && SamePk(cachedPk, change.Pk))
        {
            key = _rowCache.Key;
            sentinel = _rowCache.Sentinel;
        }
        else
        {
            key = table.FindKey(change.Pk);
            // A row without a sentinel but with cells has causal length 1, implied by its cells (as in cr-sqlite).
            sentinel = key is { } k ? table.SelectRowClock(k, NoSentinel) : null;
            FlushRow();
            _rowCache = (table, change.Pk, key, sentinel);
            _rowFresh = false;
        }

        var localCl = sentinel?.ColVersion ?? 0;
        if (change.Cl < localCl)
        {
            return false;
        }

        var dataChanged = false;
        if (change.Cl > localCl)
        {
            long rowKey;
            if (key is { } existing)
            {
                rowKey = existing;
                if (localCl % 2 == 1)
                {
                    // Only a live row has column clocks.
                    table.DeleteColumnClocks(rowKey);
                }
            }
            else
            {
                // A key never seen has no clocks to drop.
                rowKey = table.InsertKey(change.Pk);
            }
            // A column change that raises the causal length writes a placeholder sentinel (no
            // origin) that the sentinel change of the same causal length replaces when it arrives;
            // at causal length 1 the row has no sentinel at all, as in cr-sqlite.
            var (db, origin, seq) = change.IsSentinel ? (change.DbVersion, (long?)site, change.Seq) : (0L, (long?)null, 0L);
            if (change.IsSentinel || change.Cl > 1)
            {
                table.UpsertClock(rowKey, CrrTable.SentinelColumn, change.Cl, db, origin, seq);
                NoteMerged(table, rowKey, origin, db);
            }

            _rowCache = (table, change.Pk, rowKey, (change.Cl, db, origin, seq));
            // The row's column clocks are gone: until a cell is written, none needs looking up.
            _rowFresh = true;
            _rowWritten = 0;
            _rowWrittenWide.Clear();
            if (change.Cl % 2 == 0)
            {
                FlushRow();
                return table.DeleteRow(change.Pk);
            }

            // A live row (odd causal length) exists; a deleted or unknown one does not: it is
            // inserted with the cells that win, in one statement when the row is done.
            if (localCl % 2 == 0)
            {
                FlushRow();
                Pending(table, change.Pk).Insert = true;
                _created?.Add((table.Name, change.Pk));
                dataChanged = true;
            }

            if (change.IsSentinel)
            {
                return dataChanged;
            }

            key = rowKey;
            sentinel = null;
        }
        else if (change.IsSentinel)
        {
            // Same causal length: only the metadata can differ; the greater site keeps it, and a
            // placeholder gives way — except at causal length 1, where the placeholder stands for
            // cr-sqlite's row without a sentinel, whose merge ignores a sentinel of equal causal
            // length (so a later REPLACE there keeps causal length 1, as in cr-sqlite).
            if (sentinel is { } s && (s.Site is null ? change.Cl > 1 : change.SiteId.CompareTo(SiteOf(s.Site)) > 0))
            {
                table.UpsertClock(key!.Value, CrrTable.SentinelColumn, change.Cl, change.DbVersion, site, change.Seq);
                NoteMerged(table, key.Value, site, change.DbVersion);
                _rowCache = (table, change.Pk, key, (change.Cl, change.DbVersion, site, change.Seq));
            }

            return false;
        }
        else if (change.Cl % 2 == 0)
        {
            return false;
        }

        var rowId = key!.Value;
        var local = _rowFresh && !RowWritten(column) ? null : table.SelectClock(rowId, column);
        if (local is { } cell)
        {
            if (change.ColVersion < cell.ColVersion)
            {
                return dataChanged;
            }

            if (change.ColVersion == cell.ColVersion)
            {
                var current = _pending.Values is { } values && _pending.Table == table && values[column] is { } written
                    ? written
                    : table.SelectValue(change.Cid, change.Pk);
                var order = change.Value.CompareTo(current);
                if (order < 0)
                {
                    return dataChanged;
                }

                if (order == 0)
                {
                    if (change.SiteId.CompareTo(SiteOf(cell.Site)) > 0)
                    {
                        table.UpsertClock(rowId, column, change.ColVersion, change.DbVersion, site, change.Seq);
                        NoteMerged(table, rowId, site, change.DbVersion);
                        MarkRowWritten(column);
                    }

                    return dataChanged;
                }
            }
        }

        if (table.Schema.ValueColumns.Count <= 64)
        {
            Pending(table, change.Pk).Values![column] = change.Value;
        }
        else
        {
            FlushRow();
            table.UpdateValue(change.Cid, change.Pk, change.Value);
        }

        table.UpsertClock(rowId, column, change.ColVersion, change.DbVersion, site, change.Seq);
        NoteMerged(table, rowId, site, change.DbVersion);
        MarkRowWritten(column);
        return true;
    }

    // The rows the running Apply brought into existence (MergeResult.Created).
    private List<(string Table, IReadOnlyList<SqlValue> Pk)>? _created;

    // The keys whose cells this merge gave a (site, version), by table: written as the versions'
    // key lists (see CrrTable.CollectVersion) before the commit.
    private readonly Dictionary<(CrrTable Table, long Site, long Version), List<long>> _mergedKeys = new();
    private (CrrTable? Table, long Site, long Version, long Key) _lastMerged;

    private void NoteMerged(CrrTable table, long key, long? site, long version)
    {
        if (site is not { } s)
        {
            return;
        }

        // A row's cells of one version arrive together: noted once.
        var at = (table, s, version, key);
        if (_lastMerged == at)
        {
            return;
        }

        _lastMerged = at;
        if (!_mergedKeys.TryGetValue((table, s, version), out var keys))
        {
            keys = new List<long>();
            _mergedKeys[(table, s, version)] = keys;
        }

        keys.Add(key);
    }

    private void FlushMergedKeys()
    {
        foreach (var ((table, site, version), keys) in _mergedKeys)
        {
            keys.Sort();
            var distinct = new List<long>(keys.Count);
            foreach (var key in keys)
            {
                if (distinct.Count == 0 || distinct[^1] != key)
                {
                    distinct.Add(key);
                }
            }

            table.WriteVersionKeys(site, version, distinct);
        }

        _mergedKeys.Clear();
        _lastMerged = default;
    }

    private static bool SamePk(IReadOnlyList<SqlValue> a, IReadOnlyList<SqlValue> b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.Count != b.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Count; i++)
        {
            if (!a[i].Equals(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    // Which value columns of a fresh row (see _rowFresh) have had a clock written: a bit per column
    // up to 64, a set beyond.
    private bool RowWritten(int column) =>
        column < 64 ? (_rowWritten & (1UL << column)) != 0 : _rowWrittenWide.Contains(column);

    private void MarkRowWritten(int column)
    {
        if (!_rowFresh)
        {
            return;
        }

        if (column < 64)
        {
            _rowWritten |= 1UL << column;
        }
        else
        {
            _rowWrittenWide.Add(column);
        }
    }
}
