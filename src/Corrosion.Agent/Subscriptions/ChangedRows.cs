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
    // Per table, per encoded key: what its changes told.
    private readonly Dictionary<string, Dictionary<byte[], RowState>> _states = new(StringComparer.OrdinalIgnoreCase);

    private readonly Dictionary<string, List<ChangedRow>> _rows = new(StringComparer.OrdinalIgnoreCase);

    private ChangedRows()
    {
    }

    /// <summary>The changed keys per table.</summary>
    public ChangedKeys Keys { get; } = new(int.MaxValue);

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
        var rows = new ChangedRows();
        var known = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var change in changes)
        {
            var pk = change.Pk as SqlValue[] ?? change.Pk.ToArray();
            var encoded = RowCodec.Encode(pk);
            rows.Keys.Add(change.Table, encoded, pk);
            if (!rows._states.TryGetValue(change.Table, out var byKey))
            {
                byKey = new Dictionary<byte[], RowState>(ByteArrayComparer.Instance);
                rows._states[change.Table] = byKey;
            }

            if (!known.TryGetValue(change.Table, out var count))
            {
                // A merged key spelt otherwise than stored could not be found in a result: nothing is kept.
                count = keysSpeltAlike is null || keysSpeltAlike(change.Table) ? valueColumns(change.Table) : 0;
                known[change.Table] = count;
            }

            if (!byKey.TryGetValue(encoded, out var state))
            {
                var existenceChanged = created is not null && created.Contains((change.Table, encoded));
                state = new RowState(count, change.Cl, existenceChanged);
                byKey[encoded] = state;
            }

            state.Add(change);
        }

        foreach (var (table, keys) in rows.Keys.Tables)
        {
            var byKey = rows._states[table];
            var list = new List<ChangedRow>(keys.Count);
            foreach (var (encoded, pk) in keys)
            {
                var state = byKey[encoded];
                list.Add(new ChangedRow(encoded, pk, state.Columns, state.Values));
            }

            rows._rows[table] = list;
        }

        return rows;
    }

    /// <summary>The changed rows per table, each with its changed columns (looked up once here, not once per subscription).</summary>
    public Dictionary<string, List<ChangedRow>> Rows => _rows;

    /// <summary>
    /// The columns changed on the row of <paramref name="table"/> whose key encodes to
    /// <paramref name="encoded"/>, with their values now, or null when not known (or its existence changed).
    /// </summary>
    public IReadOnlyDictionary<string, SqlValue>? ColumnsOf(string table, byte[] encoded) =>
        _states.TryGetValue(table, out var byKey) && byKey.TryGetValue(encoded, out var state) ? state.Columns : null;

    /// <summary>The changes of one row, folded in order.</summary>
    private sealed class RowState(int count, long cl, bool existenceChanged)
    {
        // The values named at the causal length of the last change (null when the table's changes
        // do not name every changed column).
        private readonly Dictionary<string, SqlValue>? _values = count > 0 ? new(StringComparer.OrdinalIgnoreCase) : null;
        private long _cl = cl;

        // A sentinel or a change of causal length: the row was inserted, deleted or revived.
        private bool _existenceChanged = existenceChanged;

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
