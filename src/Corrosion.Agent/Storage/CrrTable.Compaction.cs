using System.Globalization;
using System.Text;

namespace Corrosion.Agent.Storage;

internal sealed partial class CrrTable
{
    private string? _liveCellSql;

    /// <summary>
    /// A statement (prepared by the store, which owns it) that answers one row when the clock row of key <c>?1</c> still
    /// has a cell — the sentinel or a column — of (site <c>?2</c>, version <c>?3</c>), and none otherwise: the test
    /// <see cref="ReadVersionRow"/> applies per cell (a clock with a col_version, that site and that version), on the rows
    /// <see cref="CollectVersion"/> reads (a table with a key map: clock rows whose key it maps), without reading values.
    /// </summary>
    public string LiveCellSql()
    {
        if (_liveCellSql is { } sql)
        {
            return sql;
        }

        var cells = new StringBuilder("(c.cl IS NOT NULL AND c.cl_site = ?2 AND c.cl_db = ?3)");
        foreach (var column in Schema.ValueColumns)
        {
            cells.Append(CultureInfo.InvariantCulture, $" OR (c.{V(column.Name)} IS NOT NULL AND c.{S(column.Name)} = ?2 AND c.{D(column.Name)} = ?3)");
        }

        var mapped = DirectKey ? string.Empty : $" AND EXISTS (SELECT 1 FROM {Pks} p WHERE p.key = c.key)";
        return _liveCellSql = $"SELECT 1 FROM {Clock} c WHERE c.key = ?1{mapped} AND ({cells})";
    }
}
