using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// The sans-IO core of a live query: its current rows with stable row ids, and the diff of a fresh
/// evaluation against them. A row is matched by its identity (<see cref="RowIdentity"/> key cells
/// plus occurrence number): a new identity is an insert with a fresh row id, a vanished one a delete
/// (carrying the old cells), one whose cells differ an update under the same row id. Applying the
/// events to the previous rows always gives exactly the new result, whatever the key columns.
/// A full evaluation replaces every row (<see cref="Apply"/>); a keyed one replaces only the rows
/// whose restriction columns hold the changed keys (<see cref="ApplyRestricted"/>), at a cost that
/// follows the number of keys, not of rows.
/// </summary>
internal sealed class MaterializedResult
{
    private Dictionary<byte[], Slot> _byKey = new(ByteArrayComparer.Instance);
    private readonly Dictionary<string, RestrictionIndex> _indexes = new(StringComparer.Ordinal);
    private List<MaterializedRow>? _ordered;
    private long _nextPosition;
    private int[] _keyColumns = [];

    /// <summary>Creates an empty result, or one restored from persisted rows and counters.</summary>
    public MaterializedResult(long lastChangeId = 0, long lastRowId = 0, IEnumerable<MaterializedRow>? rows = null)
    {
        LastChangeId = lastChangeId;
        LastRowId = lastRowId;
        foreach (var row in rows ?? [])
        {
            _byKey[row.Key] = new Slot(row, _nextPosition++);
        }
    }

    /// <summary>
    /// Called with every row that enters the result or whose cells change (not for the rows given
    /// to the constructor, nor for rows updated in place by <see cref="UpdateCells"/>, whose key
    /// columns stay), on the owner's thread (<see cref="LiveQueryIndex"/>).
    /// </summary>
    public Action<MaterializedRow>? RowEntered { get; set; }

    /// <summary>The last change id handed out (0 before the first change).</summary>
    public long LastChangeId { get; private set; }

    /// <summary>The last row id handed out.</summary>
    public long LastRowId { get; private set; }

    /// <summary>Number of rows.</summary>
    public int Count => _byKey.Count;

    /// <summary>The identity columns of the last full evaluation.</summary>
    public IReadOnlyList<int> KeyColumns => _keyColumns;

    /// <summary>
    /// True when rows were added or changed by key since the last full evaluation of an ordered
    /// query: <see cref="Rows"/> then holds the right rows, but not in the statement's order.
    /// </summary>
    public bool OrderStale { get; private set; }

    /// <summary>The rows, in the order of the last full evaluation (rows added by key since go last).</summary>
    public IReadOnlyList<MaterializedRow> Rows =>
        _ordered ??= _byKey.Values.OrderBy(s => s.Position).Select(s => s.Row).ToList();

    /// <summary>
    /// Replaces the rows with a fresh evaluation and returns the difference. With
    /// <paramref name="numberChanges"/> false (a subscription's first evaluation) the rows are taken
    /// as they are and no change ids are used.
    /// </summary>
    public ResultDelta Apply(IReadOnlyList<SqlValue[]> rows, IReadOnlyList<int> keyColumns, bool numberChanges = true)
    {
        _keyColumns = keyColumns.ToArray();
        var next = new Dictionary<byte[], Slot>(rows.Count, ByteArrayComparer.Instance);
        var previous = _byKey;
        var upserted = new List<(ChangeKind Kind, MaterializedRow Row)>();
        var identities = Identities(rows);
        _nextPosition = 0;
        for (var r = 0; r < rows.Count; r++)
        {
            var cells = rows[r];
            var identity = identities[r];
            MaterializedRow row;
            if (previous.Remove(identity, out var old))
            {
                if (SameCells(old.Row.Cells, cells))
                {
                    row = old.Row;
                }
                else
                {
                    row = old.Row with { Cells = cells };
                    upserted.Add((ChangeKind.Update, row));
                }
            }
            else
            {
                row = new MaterializedRow(++LastRowId, identity, cells);
                upserted.Add((ChangeKind.Insert, row));
            }

            next[identity] = new Slot(row, _nextPosition++);
        }

        // Whatever was not matched left the result.
        var deleted = previous.Values.Select(s => s.Row).OrderBy(r => r.RowId).ToList();
        _byKey = next;
        _ordered = null;
        OrderStale = false;
        if (RowEntered is { } entered)
        {
            foreach (var (_, row) in upserted)
            {
                entered(row);
            }
        }

        foreach (var index in _indexes.Values)
        {
            index.Rebuild(_byKey.Values.Select(s => s.Row));
        }

        return Delta(deleted, upserted, numberChanges);
    }

    /// <summary>
    /// Keeps an index of the rows by the cells of <paramref name="restriction"/>'s columns, so
    /// <see cref="ApplyRestricted"/> finds the rows of a key without a scan. Not needed (and not
    /// built) when those columns are the identity columns.
    /// </summary>
    public void Index(TableRestriction restriction)
    {
        if (IsIdentity(restriction.Columns) || _indexes.ContainsKey(ColumnsKey(restriction.Columns)))
        {
            return;
        }

        var index = new RestrictionIndex(restriction.Columns);
        index.Rebuild(_byKey.Values.Select(s => s.Row));
        _indexes[ColumnsKey(restriction.Columns)] = index;
    }

    /// <summary>Drops the indexes kept for restrictions (the plan changed).</summary>
    public void DropIndexes() => _indexes.Clear();

    /// <summary>True when some row's cells in <paramref name="columns"/> equal one of <paramref name="keys"/> (encoded with <see cref="RowCodec"/>).</summary>
    public bool ContainsAny(IReadOnlyList<int> columns, IEnumerable<byte[]> keys) => keys.Any(k => Contains(columns, k));

    /// <summary>
    /// True when some row's cells in <paramref name="columns"/> equal <paramref name="key"/> (encoded
    /// with <see cref="RowCodec"/>); one lookup, nothing allocated on the identity's columns (asked for
    /// every changed row by every subscription reading its table).
    /// </summary>
    public bool Contains(IReadOnlyList<int> columns, byte[] key)
    {
        if (IsIdentity(columns))
        {
            // Equal identities are numbered from the plain key on: the plain one is there when any is.
            return _byKey.ContainsKey(key);
        }

        return _indexes.TryGetValue(ColumnsKey(columns), out var index)
            ? index.Contains(key)
            : throw new InvalidOperationException("no index for the restriction's columns (call Index first)");
    }

    /// <summary>
    /// The identity and cells of the one row whose <paramref name="columns"/> hold
    /// <paramref name="key"/>, or null when no row or more than one does.
    /// </summary>
    public (byte[] Identity, SqlValue[] Cells)? SingleRowOf(IReadOnlyList<int> columns, byte[] key)
    {
        if (IsIdentity(columns))
        {
            // The plain identity alone, unless a second occurrence is there too (RowsOf, without its iterator).
            return _byKey.TryGetValue(key, out var slot) && !_byKey.ContainsKey(RowCodec.WithSuffix(key, 1))
                ? (key, slot.Row.Cells)
                : null;
        }

        (byte[] Identity, SqlValue[] Cells)? found = null;
        foreach (var identity in RowsOf(columns, key))
        {
            if (found is not null)
            {
                return null;
            }

            found = (identity, _byKey[identity].Row.Cells);
        }

        return found;
    }

    /// <summary>True when one of <paramref name="columns"/> is an identity column (changing it changes which row it is).</summary>
    public bool AnyIdentityColumn(int[] columns)
    {
        foreach (var c in columns)
        {
            if (Array.IndexOf(_keyColumns, c) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Gives rows new cells under their identity (which the new cells keep): an update for each row
    /// whose cells differ, numbered like <see cref="ApplyRestricted"/>'s.
    /// </summary>
    /// <param name="rows">Each row's identity and new cells.</param>
    /// <param name="ordered">The query has an ORDER BY: rows changed by key leave <see cref="Rows"/> out of order.</param>
    public ResultDelta UpdateCells(IReadOnlyList<(byte[] Identity, SqlValue[] Cells)> rows, bool ordered)
    {
        var updated = new List<(ChangeKind Kind, MaterializedRow Row)>(rows.Count);
        foreach (var (identity, cells) in rows)
        {
            var slot = _byKey[identity];
            if (SameCells(slot.Row.Cells, cells))
            {
                continue;
            }

            // Not Replace: the cells changed are result-only columns, never the table's primary key (a
            // write changes a key as a delete plus an insert), so the keys the live-query index holds
            // for the row stand, and RowEntered (a key encoding and a set lookup per row) is not called.
            slot.Row = slot.Row with { Cells = cells };
            _ordered = null;
            updated.Add((ChangeKind.Update, slot.Row));
        }

        if (ordered && updated.Count > 0)
        {
            OrderStale = true;
        }

        return Delta([], updated, numberChanges: true);
    }

    /// <summary>
    /// Applies keyed re-evaluations: for each step, the rows whose <see cref="RestrictedRows.Columns"/>
    /// cells hold one of its keys are replaced by the step's rows (the query filtered on those keys,
    /// run on one snapshot for all steps). Returns the same kind of difference a full evaluation
    /// gives: deletes first (by row id), then updates and inserts in the steps' row order.
    /// </summary>
    /// <param name="steps">The keyed evaluations, one per changed table.</param>
    /// <param name="ordered">The query has an ORDER BY: rows placed by key leave <see cref="Rows"/> out of order.</param>
    public ResultDelta ApplyRestricted(IReadOnlyList<RestrictedRows> steps, bool ordered)
    {
        var deleted = new Dictionary<long, MaterializedRow>();
        var upserted = new Dictionary<long, (ChangeKind Kind, MaterializedRow Row, int Order)>();
        var order = 0;
        foreach (var step in steps)
        {
            // The rows in place now: those holding a changed key, and those holding any value the
            // filter matched (a NOCASE key matches other spellings; its rows are replaced too).
            var old = new HashSet<byte[]>(ByteArrayComparer.Instance);
            foreach (var key in step.Keys)
            {
                old.UnionWith(RowsOf(step.Columns, key));
            }

            var identities = Identities(step.Rows);
            foreach (var cells in step.Rows)
            {
                var key = RowCodec.Encode(step.Columns.Select(c => cells[c]).ToArray());
                if (!step.Keys.Contains(key))
                {
                    old.UnionWith(RowsOf(step.Columns, key));
                }
            }

            for (var r = 0; r < step.Rows.Count; r++)
            {
                var cells = step.Rows[r];
                var identity = identities[r];
                old.Remove(identity);
                if (_byKey.TryGetValue(identity, out var slot))
                {
                    if (!SameCells(slot.Row.Cells, cells))
                    {
                        var row = slot.Row with { Cells = cells };
                        Replace(slot, row);
                        var kind = upserted.TryGetValue(row.RowId, out var earlier) ? earlier.Kind : ChangeKind.Update;
                        upserted[row.RowId] = (kind, row, order++);
                    }
                }
                else
                {
                    var row = new MaterializedRow(++LastRowId, identity, cells);
                    Add(new Slot(row, _nextPosition++));
                    upserted[row.RowId] = (ChangeKind.Insert, row, order++);
                }
            }

            foreach (var identity in old)
            {
                var slot = _byKey[identity];
                Remove(slot);
                if (upserted.Remove(slot.Row.RowId, out var earlier) && earlier.Kind == ChangeKind.Insert)
                {
                    // Came and went within this evaluation: nothing to tell.
                    continue;
                }

                deleted[slot.Row.RowId] = slot.Row;
            }
        }

        if (ordered && upserted.Count > 0)
        {
            OrderStale = true;
        }

        return Delta(
            deleted.Values.OrderBy(r => r.RowId).ToList(),
            upserted.Values.OrderBy(u => u.Order).Select(u => (u.Kind, u.Row)).ToList(),
            numberChanges: true);
    }

    private ResultDelta Delta(List<MaterializedRow> deleted, List<(ChangeKind Kind, MaterializedRow Row)> upserted, bool numberChanges)
    {
        // Deletes go first so a client keeping a unique index over the cells never sees two rows
        // with one key at once; then updates and inserts in the statement's row order.
        var changes = new List<SubscriptionChange>(numberChanges ? deleted.Count + upserted.Count : 0);
        if (numberChanges)
        {
            foreach (var row in deleted)
            {
                changes.Add(new SubscriptionChange(ChangeKind.Delete, row.RowId, row.Cells, ++LastChangeId));
            }

            foreach (var (kind, row) in upserted)
            {
                changes.Add(new SubscriptionChange(kind, row.RowId, row.Cells, ++LastChangeId));
            }
        }

        // Sized arrays, not LINQ lists: an in-place update makes one of these per write.
        var rows = new MaterializedRow[upserted.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = upserted[i].Row;
        }

        var ids = deleted.Count == 0 ? [] : new long[deleted.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = deleted[i].RowId;
        }

        return new ResultDelta(changes, rows, ids);
    }

    /// <summary>
    /// The identity of each row: its key cells, and for the second and later rows with the same key
    /// cells their occurrence number too (a count-prefixed encoding plus a suffix never equals a
    /// plain one).
    /// </summary>
    private byte[][] Identities(IReadOnlyList<SqlValue[]> rows)
    {
        var identities = new byte[rows.Count][];
        var occurrences = new Dictionary<byte[], int>(ByteArrayComparer.Instance);
        var key = new SqlValue[_keyColumns.Length];
        for (var r = 0; r < rows.Count; r++)
        {
            for (var i = 0; i < key.Length; i++)
            {
                key[i] = rows[r][_keyColumns[i]];
            }

            var identity = RowCodec.Encode(key);
            if (occurrences.TryGetValue(identity, out var seen))
            {
                occurrences[identity] = seen + 1;
                identity = RowCodec.Encode(key, seen);
            }
            else
            {
                occurrences[identity] = 1;
            }

            identities[r] = identity;
        }

        return identities;
    }

    /// <summary>The identities of the rows whose cells in <paramref name="columns"/> encode to <paramref name="key"/>.</summary>
    private IEnumerable<byte[]> RowsOf(IReadOnlyList<int> columns, byte[] key)
    {
        if (IsIdentity(columns))
        {
            // Equal identities are numbered from the plain key on, without gaps.
            if (!_byKey.ContainsKey(key))
            {
                yield break;
            }

            yield return key;
            for (var n = 1; ; n++)
            {
                var next = RowCodec.WithSuffix(key, n);
                if (!_byKey.ContainsKey(next))
                {
                    yield break;
                }

                yield return next;
            }
        }

        if (_indexes.TryGetValue(ColumnsKey(columns), out var index))
        {
            foreach (var identity in index.Find(key))
            {
                yield return identity;
            }

            yield break;
        }

        throw new InvalidOperationException("no index for the restriction's columns (call Index first)");
    }

    private bool IsIdentity(IReadOnlyList<int> columns)
    {
        if (columns.Count != _keyColumns.Length)
        {
            return false;
        }

        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i] != _keyColumns[i])
            {
                return false;
            }
        }

        return true;
    }

    private static string ColumnsKey(IReadOnlyList<int> columns) => string.Join(',', columns);

    private void Add(Slot slot)
    {
        _byKey[slot.Row.Key] = slot;
        _ordered = null;
        foreach (var index in _indexes.Values)
        {
            index.Add(slot.Row);
        }

        RowEntered?.Invoke(slot.Row);
    }

    private void Replace(Slot slot, MaterializedRow row)
    {
        // The identity (and so the restriction columns' cells) is unchanged.
        slot.Row = row;
        _ordered = null;
        RowEntered?.Invoke(row);
    }

    private void Remove(Slot slot)
    {
        _byKey.Remove(slot.Row.Key);
        _ordered = null;
        foreach (var index in _indexes.Values)
        {
            index.Remove(slot.Row);
        }
    }

    private static bool SameCells(SqlValue[] a, SqlValue[] b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (!a[i].Equals(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private sealed class Slot(MaterializedRow row, long position)
    {
        public MaterializedRow Row { get; set; } = row;

        public long Position { get; } = position;
    }

    /// <summary>Row identities by the encoded cells of some columns.</summary>
    private sealed class RestrictionIndex(int[] columns)
    {
        private readonly Dictionary<byte[], HashSet<byte[]>> _map = new(ByteArrayComparer.Instance);

        public void Rebuild(IEnumerable<MaterializedRow> rows)
        {
            _map.Clear();
            foreach (var row in rows)
            {
                Add(row);
            }
        }

        public void Add(MaterializedRow row)
        {
            var key = KeyOf(row);
            if (!_map.TryGetValue(key, out var set))
            {
                set = new HashSet<byte[]>(ByteArrayComparer.Instance);
                _map[key] = set;
            }

            set.Add(row.Key);
        }

        public void Remove(MaterializedRow row)
        {
            var key = KeyOf(row);
            if (_map.TryGetValue(key, out var set) && set.Remove(row.Key) && set.Count == 0)
            {
                _map.Remove(key);
            }
        }

        public byte[][] Find(byte[] key) => _map.TryGetValue(key, out var set) ? set.ToArray() : [];

        public bool Contains(byte[] key) => _map.TryGetValue(key, out var set) && set.Count > 0;

        private byte[] KeyOf(MaterializedRow row) => RowCodec.Encode(columns.Select(c => row.Cells[c]).ToArray());
    }
}
