using Corrosion.Chaos.Cluster;
using Corrosion.Chaos.Workload;
using Corrosion.Client;

namespace Corrosion.Chaos.Checking;

/// <summary>Reads a <see cref="NodeSnapshot"/> through a node's query API.</summary>
public static class SnapshotReader
{
    public static async Task<NodeSnapshot> ReadAsync(ChaosNode node, IReadOnlyList<TableSpec> tables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(tables);
        var data = new Dictionary<string, Rows>(StringComparer.Ordinal);
        var clocks = new Dictionary<string, Rows>(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            data[table.Name] = await ReadRowsAsync(node.Client, TableSql(table), cancellationToken);
            clocks[table.Name] = await ReadRowsAsync(node.Client, ClockMetadataReader.Sql(table), cancellationToken);
        }

        return new NodeSnapshot(node.Index, data, clocks);
    }

    /// <summary>Every row, keyed by its quoted primary key, each cell as "typeof quote".</summary>
    public static string TableSql(TableSpec table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var cells = string.Join(", ", table.Values.Select(c => $"typeof({Quote(c)}) || ' ' || quote({Quote(c)})"));
        return $"SELECT {KeyExpression(table, null)}{(cells.Length > 0 ? ", " + cells : "")} FROM {Quote(table.Name)}";
    }

    /// <summary>The text key of a row: its quoted primary-key values joined by '|'.</summary>
    public static string KeyExpression(TableSpec table, string? alias)
    {
        ArgumentNullException.ThrowIfNull(table);
        return string.Join(" || '|' || ", table.Keys.Select(k => $"quote({(alias is null ? "" : alias + ".")}{Quote(k)})"));
    }

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Runs a query whose first column is the row key; the rest are the row's cells.</summary>
    public static async Task<Rows> ReadRowsAsync(CorrosionClient client, string sql, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var result = await client.QueryAsync(sql, cancellationToken);
        var rows = new Rows();
        await foreach (var row in result.Rows.WithCancellation(cancellationToken))
        {
            var key = ChaosWorkload.CellText(row.Cells[0]);
            var cells = row.Cells.Skip(1).Select(ChaosWorkload.CellText).ToArray();
            if (!rows.TryAdd(key, cells))
            {
                throw new InvalidDataException($"two rows with key {key} from: {sql}");
            }
        }

        return rows;
    }
}
