using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Subscriptions;

/// <summary>
/// The primary keys changed per table since a live query was last evaluated, bounded: past
/// <see cref="MaxKeys"/> (or when changes were lost) it only remembers that anything may have
/// changed, and the next evaluation re-runs the query.
/// </summary>
internal sealed class ChangedKeys(int maxKeys)
{
    private readonly Dictionary<string, Dictionary<byte[], SqlValue[]>> _byTable = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Most keys remembered before giving up on naming them.</summary>
    public int MaxKeys { get; } = maxKeys;

    /// <summary>Keys remembered (0 once <see cref="Everything"/> is set).</summary>
    public int Count { get; private set; }

    /// <summary>Why any row may have changed (the keys are not known), or null.</summary>
    public string? Everything { get; private set; }

    /// <summary>Nothing changed.</summary>
    public bool IsEmpty => Count == 0 && Everything is null;

    /// <summary>The changed keys per table (empty once <see cref="Everything"/> is set).</summary>
    public IReadOnlyDictionary<string, Dictionary<byte[], SqlValue[]>> Tables => _byTable;

    /// <summary>Records the row of <paramref name="table"/> with primary key <paramref name="pk"/> as changed.</summary>
    public void Add(string table, IReadOnlyList<SqlValue> pk)
    {
        if (Everything is not null)
        {
            return;
        }

        if (!_byTable.TryGetValue(table, out var keys))
        {
            keys = new Dictionary<byte[], SqlValue[]>(ByteArrayComparer.Instance);
            _byTable[table] = keys;
        }

        Add(keys, RowCodec.Encode(pk), pk);
    }

    /// <summary>Records the row of <paramref name="table"/> whose primary key <paramref name="pk"/> encodes (<see cref="RowCodec"/>) to <paramref name="encoded"/> as changed.</summary>
    public void Add(string table, byte[] encoded, SqlValue[] pk)
    {
        if (Everything is not null)
        {
            return;
        }

        if (!_byTable.TryGetValue(table, out var keys))
        {
            keys = new Dictionary<byte[], SqlValue[]>(ByteArrayComparer.Instance);
            _byTable[table] = keys;
        }

        Add(keys, encoded, pk);
    }

    private void Add(Dictionary<byte[], SqlValue[]> keys, byte[] encoded, IReadOnlyList<SqlValue> pk)
    {
        if (keys.ContainsKey(encoded))
        {
            return;
        }

        if (Count >= MaxKeys)
        {
            MarkEverything($"more than {MaxKeys} keys changed since the last evaluation");
            return;
        }

        keys[encoded] = pk as SqlValue[] ?? pk.ToArray();
        Count++;
    }

    /// <summary>Records every change whose table <paramref name="reads"/> accepts.</summary>
    public void AddAll(IEnumerable<Change> changes, Func<string, bool> reads)
    {
        foreach (var change in changes)
        {
            if (reads(change.Table))
            {
                Add(change.Table, change.Pk);
            }
        }
    }

    /// <summary>From now on assume any row changed (the keys are forgotten).</summary>
    public void MarkEverything(string reason)
    {
        Everything ??= reason;
        _byTable.Clear();
        Count = 0;
    }
}
