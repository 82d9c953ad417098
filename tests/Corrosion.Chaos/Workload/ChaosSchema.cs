namespace Corrosion.Chaos.Workload;

/// <summary>
/// The replicated tables the workload writes. Value columns without a declared type keep every
/// storage class as written (no affinity), so integer 7, real 7.0, text '7' and a blob stay apart
/// and the merge's value order across classes is exercised.
/// </summary>
public static class ChaosSchema
{
    /// <summary>Rows inserted once under keys no other write uses: each acknowledged one must be on every node.</summary>
    public static readonly TableSpec Unique = new("uniq", ["id"], ["client", "val"]);

    /// <summary>A few rows every client updates, upserts and deletes concurrently.</summary>
    public static readonly TableSpec Shared = new("shared", ["id"], ["val", "writer"], RowidKey: true);

    /// <summary>Parts of multi-statement transactions: all parts of a transaction, or none.</summary>
    public static readonly TableSpec Parts = new("txn_parts", ["tx", "part"], ["val"]);

    public static IReadOnlyList<TableSpec> Tables { get; } = [Unique, Shared, Parts];

    public const string Sql = """
        -- Corrosion chaos test schema (tests/Corrosion.Chaos).
        CREATE TABLE uniq (id TEXT NOT NULL PRIMARY KEY, client INTEGER NOT NULL DEFAULT 0, val);
        CREATE TABLE shared (id INTEGER NOT NULL PRIMARY KEY, val, writer TEXT);
        CREATE TABLE txn_parts (tx TEXT NOT NULL, part INTEGER NOT NULL, val TEXT, PRIMARY KEY (tx, part));
        """;
}

/// <summary>
/// A replicated table: its name, primary-key columns and value columns, in schema order, and
/// whether its key is a rowid alias (a single INTEGER PRIMARY KEY).
/// </summary>
public sealed record TableSpec(string Name, IReadOnlyList<string> Keys, IReadOnlyList<string> Values, bool RowidKey = false)
{
    public IEnumerable<string> Columns => Keys.Concat(Values);
}
