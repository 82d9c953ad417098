using Corrosion.Client.Akka.Protocol;

namespace Corrosion.Client.Akka;

/// <summary>One row of a query's result, with the result's columns.</summary>
/// <param name="Columns">The result's column names.</param>
/// <param name="RowId">A counter from 1.</param>
/// <param name="Cells">One value per column.</param>
public sealed record AkkaRow(IReadOnlyList<string> Columns, long RowId, IReadOnlyList<ClientValue> Cells)
{
    /// <summary>The value of a column by name (ordinal, case-sensitive first, then ignoring case).</summary>
    /// <exception cref="KeyNotFoundException">no such column.</exception>
    public ClientValue this[string column]
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

            for (var i = 0; i < Columns.Count; i++)
            {
                if (string.Equals(Columns[i], column, StringComparison.OrdinalIgnoreCase))
                {
                    return Cells[i];
                }
            }

            throw new KeyNotFoundException($"no column {column} (columns: {string.Join(", ", Columns)})");
        }
    }
}
