using Corrosion.Chaos.Workload;

namespace Corrosion.Chaos.Checking;

/// <summary>
/// The one place that knows how the store lays out its clock metadata, so a change of layout is
/// adapted here alone. Today (clock layout 3, src/Corrosion.Agent/Storage/CrrTable.cs): per table
/// one clock row per row in <c>t__corro_clock_rows</c>, read here through its per-cell view
/// <c>t__corro_clock(key, cid, col_version, db_version, site, seq)</c> with <c>key</c> an index
/// into the node-local key map <c>t__corro_pks</c> — or, for a table keyed by a rowid alias, the
/// primary key itself (no key map) — and <c>site</c> an ordinal into the node-local
/// <c>__corro_sites(ordinal, site_id)</c>. The query maps both local indices to what is the same on
/// every node: the quoted primary key and the 16-byte site id. Result: one row per (row, column)
/// keyed <c>pk|cid</c> (cid '-1' is the row's causal length), cells col_version, db_version,
/// site id (hex), seq. Sentinels of causal length 1 are left out: as in cr-sqlite, a row inserted
/// with value columns has none, and only the node that wrote one (a key change's new key) may.
/// </summary>
public static class ClockMetadataReader
{
    public static string Sql(TableSpec table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var clock = SnapshotReader.Quote(table.Name + "__corro_clock");
        var pks = SnapshotReader.Quote(table.Name + "__corro_pks");
        var (key, join) = table.RowidKey
            ? ("quote(c.key)", string.Empty)
            : (SnapshotReader.KeyExpression(table, "p"), $"JOIN {pks} p ON p.key = c.key");
        return $"""
            SELECT {key} || '|' || c.cid, c.col_version, c.db_version, hex(s.site_id), c.seq
            FROM {clock} c {join} LEFT JOIN __corro_sites s ON s.ordinal = c.site
            WHERE NOT (c.cid = '-1' AND c.col_version = 1)
            """;
    }
}
