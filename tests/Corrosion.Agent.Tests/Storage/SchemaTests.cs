using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Storage;

public class SchemaTests
{
    [Theory]
    [InlineData("CREATE TABLE t (a TEXT, b TEXT);", "table t", "PRIMARY KEY")]
    [InlineData("CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT NOT NULL);", "table t column b", "DEFAULT")]
    [InlineData("CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT UNIQUE);", "table t column b", "unique")]
    [InlineData("CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT); CREATE UNIQUE INDEX tb ON t (b);", "table t column b", "unique")]
    [InlineData("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE t (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES p (id));", "table t column pid", "foreign keys")]
    [InlineData("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, b TEXT);", "table t column id", "AUTOINCREMENT")]
    [InlineData("CREATE TABLE s (id INTEGER PRIMARY KEY); CREATE TABLE t AS SELECT * FROM s;", "table t", "AS SELECT")]
    [InlineData("CREATE TABLE t (id INTEGER PRIMARY KEY); CREATE VIEW v AS SELECT * FROM t;", "CREATE VIEW", "not allowed")]
    [InlineData("CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (1);", "INSERT", "not allowed")]
    [InlineData("CREATE TABLE t__corro_x (id INTEGER PRIMARY KEY);", "table t__corro_x", "reserved")]
    public void Schema_refuses_forms_a_crr_cannot_have(string schema, string names, string reason)
    {
        using var builder = new StoreBuilder();
        var error = Assert.Throws<SchemaException>(() => builder.WithSchema(schema).Build());
        Assert.Contains(names, error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Schema_reads_folders_of_sql_files_and_creates_crr_tables()
    {
        using var builder = new StoreBuilder();
        var folder = Path.Combine(builder.Root, "schema");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "1.sql"), "CREATE TABLE one (id INTEGER PRIMARY KEY, v TEXT);");
        File.WriteAllText(Path.Combine(folder, "2.sql"), "-- second\nCREATE TABLE two (k TEXT PRIMARY KEY, v TEXT); CREATE INDEX two_v ON two (v);");
        File.WriteAllText(Path.Combine(folder, "ignored.txt"), "garbage");
        var store = builder.Open(new StoreOptions(Path.Combine(builder.Root, "db", "c.db"), new[] { folder }));
        Assert.Equal(new[] { "one", "two" }, store.Tables);
        Assert.Equal(1, store.Scalar("SELECT count(*) FROM sqlite_master WHERE name = 'two__corro_clock'").AsInteger);
        Assert.Equal(1, store.Scalar("SELECT count(*) FROM sqlite_master WHERE name = 'two_v'").AsInteger);
    }

    private static (StoreBuilder Builder, StoreOptions Options) Started(string schema)
    {
        var builder = new StoreBuilder();
        var options = new StoreOptions(Path.Combine(builder.Root, "db", "c.db"), new[] { builder.WriteSchema(schema) });
        using (var store = CrdtStore.Open(options))
        {
            store.Exec("INSERT INTO t (id, a) VALUES (1, 'x')");
        }

        return (builder, options);
    }

    [Fact]
    public void Migration_adds_tables_columns_and_indexes()
    {
        var (builder, options) = Started("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT); CREATE INDEX ta ON t (a);");
        using (builder)
        {
            builder.WriteSchema("""
                CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER NOT NULL DEFAULT 4, c TEXT);
                CREATE INDEX tb ON t (b);
                CREATE TABLE u (k TEXT PRIMARY KEY, v);
                """);
            var store = builder.Open(options);
            Assert.Equal(new[] { "t", "u" }, store.Tables);
            Assert.Equal("1|'x'|4|NULL", string.Join("|", store.Rows("SELECT id, a, b, c FROM t").Single().Select(v => v.ToString())));
            Assert.Equal(0, store.Scalar("SELECT count(*) FROM sqlite_master WHERE name = 'ta'").AsInteger);
            Assert.Equal(1, store.Scalar("SELECT count(*) FROM sqlite_master WHERE name = 'tb'").AsInteger);
            // The triggers follow the new column.
            var change = Assert.Single(Assert.Single(store.Exec("UPDATE t SET c = 'new' WHERE id = 1").Changesets).Changes);
            Assert.Equal("c", change.Cid);
        }
    }

    [Theory]
    [InlineData("CREATE TABLE t (id INTEGER PRIMARY KEY);", "table t column a", "dropping a column")]
    [InlineData("CREATE TABLE t (id INTEGER PRIMARY KEY, a BLOB);", "table t column a", "type")]
    [InlineData("CREATE TABLE t (id INTEGER, a TEXT, PRIMARY KEY (id, a));", "table t column id, a", "primary key")]
    [InlineData("CREATE TABLE other (id INTEGER PRIMARY KEY);", "table t", "dropping a table")]
    public void Migration_refuses_destructive_changes_and_leaves_the_database_untouched(string schema, string names, string reason)
    {
        var (builder, options) = Started("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);");
        using (builder)
        {
            builder.WriteSchema(schema + " CREATE TABLE added (id INTEGER PRIMARY KEY);");
            var error = Assert.Throws<SchemaException>(() => CrdtStore.Open(options));
            Assert.Contains(names, error.Message, StringComparison.Ordinal);
            Assert.Contains(reason, error.Message, StringComparison.OrdinalIgnoreCase);
            builder.WriteSchema("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);");
            var store = builder.Open(options);
            Assert.Equal(new[] { "t" }, store.Tables);
            Assert.Equal("'x'", store.Scalar("SELECT a FROM t").ToString());
        }
    }
}
