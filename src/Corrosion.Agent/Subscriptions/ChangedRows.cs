using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// The rows one storage event changed: their keys per table (encoded once for every subscription)
/// and, where known, which columns of each row changed, so a subscription can leave out a row whose
/// change cannot affect it (<see cref="LiveQueryEvaluator.Note(ChangedRows, MaterializedResult)"/>).
/// </summary>
internal sealed class ChangedRows
{
    // Per table, per encoded key: the changed columns, or null when the row's existence changed
    // (a sentinel: insert, delete, key change) or its columns are not known.
    private readonly Dictionary<string, Dictionary<byte[], HashSet<string>?>> _columns = new(StringComparer.OrdinalIgnoreCase);

    private ChangedRows()
    {
    }

    /// <summary>The changed keys per table.</summary>
    public ChangedKeys Keys { get; } = new(int.MaxValue);

    /// <summary>
    /// Collects <paramref name="changes"/>. The changed columns are kept only for tables whose changes
    /// name every column they changed, with the key exactly as the table stores it (a local commit
    /// reads both back from the database): <paramref name="valueColumns"/> gives their number of value
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
                byKey = new Dictionary<byte[], HashSet<string>?>(ByteArrayComparer.Instance);
                rows._columns[change.Table] = byKey;
            }

            if (!known.TryGetValue(change.Table, out var count))
            {
                count = valueColumns(change.Table);
                known[change.Table] = count;
            }

            if (!byKey.TryGetValue(encoded, out var columns))
            {
                columns = count > 0 ? new HashSet<string>(StringComparer.OrdinalIgnoreCase) : null;
                byKey[encoded] = columns;
            }

            if (columns is null)
            {
                continue;
            }

            columns.Add(change.Cid);
            if (change.Cid == Change.SentinelCid || columns.Count >= count)
            {
                byKey[encoded] = null;
            }
        }

        return rows;
    }

    /// <summary>The columns changed on the row of <paramref name="table"/> whose key encodes to <paramref name="encoded"/>, or null when not known (or its existence changed).</summary>
    public IReadOnlySet<string>? ColumnsOf(string table, byte[] encoded) =>
        _columns.TryGetValue(table, out var byKey) && byKey.TryGetValue(encoded, out var columns) ? columns : null;
}
