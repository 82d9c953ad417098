using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Hosting;

/// <summary>One row of an in-process query, with the result's column names.</summary>
public sealed class LocalRow
{
    /// <summary>Creates a row.</summary>
    /// <param name="columns">The result's column names (shared by all its rows).</param>
    /// <param name="rowId">The row's number in the result, from 1.</param>
    /// <param name="cells">The row's values, one per column.</param>
    public LocalRow(IReadOnlyList<string> columns, long rowId, IReadOnlyList<SqlValue> cells)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(cells);
        Columns = columns;
        RowId = rowId;
        Cells = cells;
    }

    /// <summary>The result's column names.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>The row's number in the result, from 1.</summary>
    public long RowId { get; }

    /// <summary>The row's values, one per column.</summary>
    public IReadOnlyList<SqlValue> Cells { get; }

    /// <summary>The value of a column by position.</summary>
    public SqlValue this[int index] => Cells[index];

    /// <summary>The value of a column by name (the first column of that name, compared ordinally).</summary>
    /// <exception cref="KeyNotFoundException">no column has that name.</exception>
    public SqlValue this[string column]
    {
        get
        {
            for (var i = 0; i < Columns.Count; i++)
            {
                if (string.Equals(Columns[i], column, StringComparison.Ordinal))
                {
                    return Cells[i];
                }
            }

            throw new KeyNotFoundException($"the result has no column \"{column}\"; its columns are {string.Join(", ", Columns)}");
        }
    }
}
