namespace Corrosion.Agent.Storage;

public sealed partial class CrdtStore
{
    /// <summary>
    /// The number of value columns of <paramref name="table"/> when its changes name every column whose
    /// value they changed (it has no generated columns); 0 when not, or when it is not replicated.
    /// Thread-safe.
    /// </summary>
    internal int ChangeableColumns(string table) =>
        _tables.TryGetValue(table, out var crr) && crr.Schema.HiddenColumns == 0 ? crr.Schema.ValueColumns.Count : 0;

    /// <summary>Finds a replicated table by name (case-insensitive, as SQLite resolves names). Thread-safe.</summary>
    /// <param name="table">The name asked for.</param>
    /// <param name="name">The table's name as declared.</param>
    /// <param name="primaryKey">Its primary-key columns, in key order.</param>
    /// <returns>False when there is no such replicated table.</returns>
    public bool TryGetTable(string table, out string name, out IReadOnlyList<string> primaryKey)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_tables.TryGetValue(table, out var crr))
        {
            name = crr.Name;
            primaryKey = crr.PkNames;
            return true;
        }

        name = table;
        primaryKey = [];
        return false;
    }
}
