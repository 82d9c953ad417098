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
    // Per table, per encoded key: the changed columns with their values, or null when the row's
    // existence changed (a sentinel: insert, delete, key change) or its columns are not known.
    private readonly Dictionary<string, Dictionary<byte[], Dictionary<string, SqlValue>?>> _columns = new(StringComparer.OrdinalIgnoreCase);

    private readonly Dictionary<string, List<ChangedRow>> _rows = new(StringComparer.OrdinalIgnoreCase);

    private ChangedRows()
    {
    }

    /// <summary>The changed keys per table.</summary>
    public ChangedKeys Keys { get; } = new(int.MaxValue);

    /// <summary>
    /// Collects <paramref name="changes"/>. The changed columns are kept only for tables whose changes
    /// name every column they changed, with the key and the values exactly as the table stores them
    /// (a local commit reads all three back from the database, one change per cell of its version): <paramref name="valueColumns"/> gives their number of value
    /// columns, 0 for the others. A row whose changes name every value column may have been inserted
    /// (an insert names them all, and no sentinel when the table has value columns), so its columns
    /// are not kept either: only a row of which some column stayed unchanged existed before.
    /// </summary>
    public static ChangedRows Of(IEnumerable<Change> changes, Func<string, int> valueColumns)
    {
        var rows = new ChangedRows();
        var known = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var change in changes)
        {
            var pk = change.Pk as SqlValue[] ?? change.Pk.ToArray();
            var encoded = RowCodec.Encode(pk);
            rows.Keys.Add(change.Table, encoded, pk);
            if (!rows._columns.TryGetValue(change.Table, out var byKey))
            {
                byKey = new Dictionary<byte[], Dictionary<string, SqlValue>?>(ByteArrayComparer.Instance);
                rows._columns[change.Table] = byKey;
            }

            if (!known.TryGetValue(change.Table, out var count))
            {
                count = valueColumns(change.Table);
                known[change.Table] = count;
            }

            if (!byKey.TryGetValue(encoded, out var columns))
            {
                columns = count > 0 ? new Dictionary<string, SqlValue>(StringComparer.OrdinalIgnoreCase) : null;
                byKey[encoded] = columns;
            }

            if (columns is null)
            {
                continue;
            }

            columns[change.Cid] = change.Value;
            if (change.Cid == Change.SentinelCid || columns.Count >= count)
            {
                byKey[encoded] = null;
            }
        }

        foreach (var (table, keys) in rows.Keys.Tables)
        {
            var byKey = rows._columns[table];
            var list = new List<ChangedRow>(keys.Count);
            foreach (var (encoded, pk) in keys)
            {
                list.Add(new ChangedRow(encoded, pk, byKey[encoded]));
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
        _columns.TryGetValue(table, out var byKey) && byKey.TryGetValue(encoded, out var columns) ? columns : null;
}

/// <summary>One changed row of <see cref="ChangedRows"/>.</summary>
/// <param name="Encoded">Its key, encoded with <see cref="RowCodec"/>.</param>
/// <param name="Pk">Its key values.</param>
/// <param name="Columns">Its changed columns with their values now, or null when not known (or its existence changed).</param>
internal sealed record ChangedRow(byte[] Encoded, SqlValue[] Pk, IReadOnlyDictionary<string, SqlValue>? Columns)
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
