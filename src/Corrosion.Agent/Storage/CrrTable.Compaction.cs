using System.Globalization;
using System.Text;

namespace Corrosion.Agent.Storage;

internal sealed partial class CrrTable
{
    private string? _liveCellSql;
    private byte[]? _clockNameUtf8;
    private (int Db, int Site)[]? _clockCells;

    /// <summary>The clock table's name in UTF-8, as the pre-update hook names it.</summary>
    public byte[] ClockNameUtf8 => _clockNameUtf8 ??= Encoding.UTF8.GetBytes(Name + "__corro_clock_rows");

    /// <summary>
    /// Where each cell's db_version and site are in a clock row as the pre-update hook sees it (the columns' order in the
    /// table, columns added later at the end): the sentinel's first, then each value column's. Read once per table
    /// object (a schema change makes new ones).
    /// </summary>
    public (int Db, int Site)[] ClockCellPositions
    {
        get
        {
            if (_clockCells is { } cells)
            {
                return cells;
            }

            var positions = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            using (var stmt = NativeStatement.Prepare(_db, "SELECT cid, name FROM pragma_table_info(?1)"))
            {
                stmt.Bind(1, Name + "__corro_clock_rows");
                while (stmt.Step())
                {
                    positions[stmt.GetText(1)] = (int)stmt.GetInt64(0);
                }

                stmt.Reset();
            }

            var found = new List<(int, int)> { (positions["cl_db"], positions["cl_site"]) };
            foreach (var column in Schema.ValueColumns)
            {
                if (positions.TryGetValue(column.Name + "__d", out var db) && positions.TryGetValue(column.Name + "__s", out var site))
                {
                    found.Add((db, site));
                }
            }

            return _clockCells = found.ToArray();
        }
    }

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
