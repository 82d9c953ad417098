using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// The sans-IO core of a live query: its current rows with stable row ids, and the diff of a fresh
/// evaluation against them. A row is matched by its identity (<see cref="RowIdentity"/> key cells
/// plus occurrence number): a new identity is an insert with a fresh row id, a vanished one a delete
/// (carrying the old cells), one whose cells differ an update under the same row id. Applying the
/// events to the previous rows always gives exactly the new result, whatever the key columns.
/// </summary>
internal sealed class MaterializedResult
{
    private Dictionary<byte[], MaterializedRow> _byKey = new(ByteArrayComparer.Instance);
    private List<MaterializedRow> _ordered = [];

    /// <summary>Creates an empty result, or one restored from persisted rows and counters.</summary>
    public MaterializedResult(long lastChangeId = 0, long lastRowId = 0, IEnumerable<MaterializedRow>? rows = null)
    {
        LastChangeId = lastChangeId;
        LastRowId = lastRowId;
        foreach (var row in rows ?? [])
        {
            _byKey[row.Key] = row;
            _ordered.Add(row);
        }
    }

    /// <summary>The last change id handed out (0 before the first change).</summary>
    public long LastChangeId { get; private set; }

    /// <summary>The last row id handed out.</summary>
    public long LastRowId { get; private set; }

    /// <summary>The rows, in the order of the last evaluation.</summary>
    public IReadOnlyList<MaterializedRow> Rows => _ordered;

    /// <summary>
    /// Replaces the rows with a fresh evaluation and returns the difference. With
    /// <paramref name="numberChanges"/> false (a subscription's first evaluation) the rows are taken
    /// as they are and no change ids are used.
    /// </summary>
    public ResultDelta Apply(IReadOnlyList<SqlValue[]> rows, IReadOnlyList<int> keyColumns, bool numberChanges = true)
    {
        var next = new Dictionary<byte[], MaterializedRow>(rows.Count, ByteArrayComparer.Instance);
        var ordered = new List<MaterializedRow>(rows.Count);
        var occurrences = new Dictionary<byte[], int>(ByteArrayComparer.Instance);
        var previous = _byKey;
        var upserted = new List<(ChangeKind Kind, MaterializedRow Row)>();
        var key = new SqlValue[keyColumns.Count];
        foreach (var cells in rows)
        {
            for (var i = 0; i < key.Length; i++)
            {
                key[i] = cells[keyColumns[i]];
            }

            // The first row with a key is identified by the key alone; later ones by key and
            // occurrence number (a count-prefixed encoding plus a suffix never equals a plain one).
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

            MaterializedRow row;
            if (previous.Remove(identity, out var old))
            {
                if (SameCells(old.Cells, cells))
                {
                    row = old;
                }
                else
                {
                    row = old with { Cells = cells };
                    upserted.Add((ChangeKind.Update, row));
                }
            }
            else
            {
                row = new MaterializedRow(++LastRowId, identity, cells);
                upserted.Add((ChangeKind.Insert, row));
            }

            next[identity] = row;
            ordered.Add(row);
        }

        // Whatever was not matched left the result. Deletes go first so a client keeping a unique
        // index over the cells never sees two rows with one key at once.
        var deleted = previous.Values.OrderBy(r => r.RowId).ToList();
        var changes = new List<SubscriptionChange>();
        if (numberChanges)
        {
            foreach (var row in deleted)
            {
                changes.Add(new SubscriptionChange(ChangeKind.Delete, row.RowId, row.Cells, ++LastChangeId));
            }

            // Updates and inserts in the statement's row order.
            foreach (var (kind, row) in upserted)
            {
                changes.Add(new SubscriptionChange(kind, row.RowId, row.Cells, ++LastChangeId));
            }
        }

        _byKey = next;
        _ordered = ordered;
        return new ResultDelta(changes, upserted.Select(u => u.Row).ToList(), deleted.Select(r => r.RowId).ToList());
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
}
