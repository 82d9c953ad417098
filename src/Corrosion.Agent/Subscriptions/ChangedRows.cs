using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// The rows one storage event changed: their keys per table (encoded once for every subscription)
/// and, where known, which columns of each row changed with their new values, so a subscription can
/// leave out a row whose change cannot affect it, or update a row of its result in place from those
/// values (<see cref="LiveQueryEvaluator.NoteInPlace"/>).
/// </summary>
internal sealed class ChangedRows
{
    // A storage event names a few rows, mostly of one table: they are found by a scan up to this
    // many per table, and only past it through a map (the maps and their arrays were half of what
    // noting a one-row write allocated).
    private const int ScanUpTo = 8;

    private readonly Dictionary<string, List<ChangedRow>> _rows = new(StringComparer.OrdinalIgnoreCase);

    private ChangedRows()
    {
    }

    /// <summary>
    /// Collects <paramref name="changes"/>. The changed columns are kept only for tables whose changes
    /// name every column they changed, with the key and the values exactly as the table stores them
    /// (a local commit reads all three back from the database, one change per cell of its version):
    /// <paramref name="valueColumns"/> gives their number of value columns, 0 for the others. A row
    /// whose changes name every value column may have been inserted (an insert names them all, and no
    /// sentinel when the table has value columns), so its changed columns are not kept for
    /// <see cref="ChangedRow.Columns"/>: only a row of which some column stayed unchanged existed
    /// before; but all its values are known (<see cref="ChangedRow.Values"/>).
    /// </summary>
    public static ChangedRows Of(IEnumerable<Change> changes, Func<string, int> valueColumns) =>
        Of(changes, valueColumns, null, null);

    /// <summary>
    /// As <see cref="Of(IEnumerable{Change}, Func{string, int})"/> for the changes a merge applied
    /// (<see cref="MergeResult.Changed"/>): the merge writes the winning values as they come, which
    /// their origin read back from a table of the same schema, under the key as it came — the key as
    /// stored here only where equal keys are spelt alike (<paramref name="keysSpeltAlike"/>; else
    /// nothing is kept for the table's rows). A row the merge brought into existence
    /// (<see cref="MergeResult.Created"/>) took defaults for the columns it did not name, so only its
    /// <see cref="ChangedRow.Values"/> can be known, when every value column was named.
    /// </summary>
    public static ChangedRows OfMerge(MergeResult merge, Func<string, int> valueColumns, Func<string, bool> keysSpeltAlike)
    {
        HashSet<(string, byte[])>? created = null;
        foreach (var (table, pk) in merge.Created)
        {
            (created ??= new HashSet<(string, byte[])>(CreatedComparer.Instance)).Add((table, RowCodec.Encode(pk as SqlValue[] ?? pk.ToArray())));
        }

        return Of(merge.Changed, valueColumns, keysSpeltAlike, created);
    }

    private static ChangedRows Of(IEnumerable<Change> changes, Func<string, int> valueColumns, Func<string, bool>? keysSpeltAlike, HashSet<(string, byte[])>? created)
    {
        // The tables in the order their first change came, each with its rows in that order.
        var tables = new List<TableRows>(1);
        TableRows? last = null;
        foreach (var change in changes)
        {
            if (last is null || !string.Equals(last.Name, change.Table, StringComparison.OrdinalIgnoreCase))
            {
                last = Find(tables, change.Table);
                if (last is null)
                {
                    // A merged key spelt otherwise than stored could not be found in a result: nothing is kept.
                    var count = keysSpeltAlike is null || keysSpeltAlike(change.Table) ? valueColumns(change.Table) : 0;
                    last = new TableRows(change.Table, count);
                    tables.Add(last);
                }
            }

            var pk = change.Pk as SqlValue[] ?? change.Pk.ToArray();
            var encoded = RowCodec.Encode(pk);
            if (last.Find(encoded) is not { } state)
            {
                var existenceChanged = created is not null && created.Contains((change.Table, encoded));
                state = new RowState(encoded, pk, last.ValueColumns, change.Cl, existenceChanged);
                last.Add(state);
            }

            state.Add(change);
        }

        var rows = new ChangedRows();
        foreach (var table in tables)
        {
            var list = new List<ChangedRow>(table.States.Count);
            foreach (var state in table.States)
            {
                list.Add(new ChangedRow(state.Encoded, state.Pk, state.Columns, state.Values));
            }

            rows._rows[table.Name] = list;
        }

        return rows;
    }

    private static TableRows? Find(List<TableRows> tables, string table)
    {
        foreach (var t in tables)
        {
            if (string.Equals(t.Name, table, StringComparison.OrdinalIgnoreCase))
            {
                return t;
            }
        }

        return null;
    }

    /// <summary>The changed rows per table, each with its changed columns (looked up once here, not once per subscription).</summary>
    public Dictionary<string, List<ChangedRow>> Rows => _rows;

    /// <summary>One table's changed rows, in the order of their first change.</summary>
    private sealed class TableRows(string name, int valueColumns)
    {
        private Dictionary<byte[], RowState>? _byKey;

        public string Name { get; } = name;

        public int ValueColumns { get; } = valueColumns;

        public List<RowState> States { get; } = new(1);

        public RowState? Find(byte[] encoded)
        {
            if (_byKey is not null)
            {
                return _byKey.GetValueOrDefault(encoded);
            }

            foreach (var state in States)
            {
                if (state.Encoded.AsSpan().SequenceEqual(encoded))
                {
                    return state;
                }
            }

            return null;
        }

        public void Add(RowState state)
        {
            States.Add(state);
            if (_byKey is not null)
            {
                _byKey[state.Encoded] = state;
            }
            else if (States.Count > ScanUpTo)
            {
                _byKey = new Dictionary<byte[], RowState>(States.Count * 2, ByteArrayComparer.Instance);
                foreach (var s in States)
                {
                    _byKey[s.Encoded] = s;
                }
            }
        }
    }

    /// <summary>The changes of one row, folded in order.</summary>
    private sealed class RowState(byte[] encoded, SqlValue[] pk, int count, long cl, bool existenceChanged)
    {
        // The values named at the causal length of the last change (null when the table's changes
        // do not name every changed column).
        private readonly Dictionary<string, SqlValue>? _values = count > 0 ? new(StringComparer.OrdinalIgnoreCase) : null;
        private long _cl = cl;

        // A sentinel or a change of causal length: the row was inserted, deleted or revived.
        private bool _existenceChanged = existenceChanged;

        /// <summary>Its key, encoded.</summary>
        public byte[] Encoded { get; } = encoded;

        /// <summary>Its key values.</summary>
        public SqlValue[] Pk { get; } = pk;

        /// <summary>The changed columns of a row that existed before and exists now, or null.</summary>
        public Dictionary<string, SqlValue>? Columns =>
            _existenceChanged || _values is null || _values.Count == 0 || _values.Count >= count ? null : _values;

        /// <summary>Every value column of a row that exists now, or null when not all are known.</summary>
        public Dictionary<string, SqlValue>? Values =>
            _values is not null && _values.Count >= count && _cl % 2 == 1 ? _values : null;

        public void Add(Change change)
        {
            if (_values is null)
            {
                return;
            }

            if (change.Cl != _cl)
            {
                // Cells named before another causal length may have been dropped with the row.
                _values.Clear();
                _cl = change.Cl;
                _existenceChanged = true;
            }

            if (change.Cid == Change.SentinelCid)
            {
                _existenceChanged = true;
                return;
            }

            _values[change.Cid] = change.Value;
        }
    }
}

/// <summary>One changed row of <see cref="ChangedRows"/>.</summary>
/// <param name="Encoded">Its key, encoded with <see cref="RowCodec"/>.</param>
/// <param name="Pk">Its key values.</param>
/// <param name="Columns">Its changed columns with their values now, or null when not known (or its existence changed).</param>
/// <param name="Values">Every value column with its value now, when the row exists and all of them are known; else null.</param>
internal sealed record ChangedRow(byte[] Encoded, SqlValue[] Pk, IReadOnlyDictionary<string, SqlValue>? Columns, IReadOnlyDictionary<string, SqlValue>? Values = null)
{
    // The last set asked about and the answer: subscriptions of one statement share their plan's set.
    private IReadOnlySet<string>? _askedOf;
    private bool _allIn;

    /// <summary>True when every changed column is in <paramref name="of"/> (false when the columns are not known).</summary>
    public bool ColumnsAllIn(IReadOnlySet<string> of)
    {
        if (ReferenceEquals(of, _askedOf))
        {
            return _allIn;
        }

        var all = Columns is { Count: > 0 };
        if (all)
        {
            foreach (var column in Columns!.Keys)
            {
                if (!of.Contains(column))
                {
                    all = false;
                    break;
                }
            }
        }

        (_askedOf, _allIn) = (of, all);
        return all;
    }
}
