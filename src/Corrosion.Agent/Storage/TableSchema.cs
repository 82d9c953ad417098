namespace Corrosion.Agent.Storage;

/// <summary>A column as SQLite reports it (pragma table_info).</summary>
internal sealed record ColumnSchema(string Name, string Type, bool NotNull, string? Default, int PkIndex);

/// <summary>An index as SQLite stores it.</summary>
internal sealed record IndexSchema(string Name, string Table, string Sql);

/// <summary>A user table as SQLite reports it: columns, primary key, indexes.</summary>
/// <param name="Name">The table's name.</param>
/// <param name="Sql">Its CREATE TABLE statement.</param>
/// <param name="Columns">Its ordinary columns (pragma table_info).</param>
/// <param name="Indexes">Its indexes.</param>
/// <param name="HiddenColumns">Columns pragma table_info leaves out (generated columns), whose values follow others'.</param>
internal sealed record TableSchema(string Name, string Sql, IReadOnlyList<ColumnSchema> Columns, IReadOnlyList<IndexSchema> Indexes, int HiddenColumns = 0)
{
    public IReadOnlyList<ColumnSchema> PkColumns { get; } = Columns.Where(c => c.PkIndex > 0).OrderBy(c => c.PkIndex).ToList();

    public IReadOnlyList<ColumnSchema> ValueColumns { get; } = Columns.Where(c => c.PkIndex == 0).ToList();
}
