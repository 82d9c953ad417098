using Corrosion.Chaos.Workload;

namespace Corrosion.Chaos.Checking;

/// <summary>
/// The one place that knows how the store lays out its clock metadata, so a change of layout is
/// adapted here alone. Today (src/Corrosion.Agent/Storage/CrrTable.cs, CrdtStore.cs): per table
/// <c>t__corro_clock(key, cid, col_version, db_version, site, seq)</c> with <c>key</c> an index
/// into the node-local key map <c>t__corro_pks</c> and <c>site</c> an ordinal into the node-local
/// <c>__corro_sites(ordinal, site_id)</c>. The query maps both local indices to what is the same on
/// every node: the quoted primary key and the 16-byte site id. Result: one row per (row, column)
/// keyed <c>pk|cid</c> (cid '-1' is the row's causal length), cells col_version, db_version,
/// site id (hex), seq.
/// </summary>
public static class ClockMetadataReader
{
    public static string Sql(TableSpec table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var clock = SnapshotReader.Quote(table.Name + "__corro_clock");
        var pks = SnapshotReader.Quote(table.Name + "__corro_pks");
        return $"""
            SELECT {SnapshotReader.KeyExpression(table, "p")} || '|' || c.cid, c.col_version, c.db_version, hex(s.site_id), c.seq
            FROM {clock} c JOIN {pks} p ON p.key = c.key LEFT JOIN __corro_sites s ON s.ordinal = c.site
            """;
    }
}
