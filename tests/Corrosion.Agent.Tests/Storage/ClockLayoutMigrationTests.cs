using Corrosion.Agent.Storage;
using Microsoft.Data.Sqlite;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>
/// Opening a database written by clock layout 1 (Fixtures/layout1.db, made by commit e8f18de's
/// store: inserts, an update, a delete, a delete-and-reinsert, a key change, a key-only table and
/// a merged remote version) or layout 2 (Fixtures/layout2.db, made by commit 5ad4514's store: the
/// same kinds of writes, partly superseded and cleared versions, merged remote versions, a gap and
/// a partly received version; with what that store served for sync and its snapshot beside it)
/// or layout 3 (Fixtures/layout3.db, made by commit d177d6b's store: layout2.db opened there, then
/// local inserts, updates, a delete, a REPLACE, a key change and merged remote versions, whose key
/// lists are in <c>__corro_version_keys</c>) migrates it on start to the current layout, keeping
/// every cell clock and what it serves for sync.
/// </summary>
public class ClockLayoutMigrationTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Storage", "Fixtures", name);

    private static StoreOptions CopyOfLayout1(StoreBuilder builder)
    {
        var dir = Path.Combine(builder.Root, "migrated");
        Directory.CreateDirectory(dir);
        File.Copy(Fixture("layout1.db"), Path.Combine(dir, "corrosion.db"));
        return new StoreOptions(Path.Combine(dir, "corrosion.db"), [Fixture("layout1.schema.sql")], Synchronous: "OFF", ReadPoolSize: 1);
    }

    /// <summary>The layout-1 clocks as (table, pk, cid, col_version, db_version, site, seq), read with plain SQLite.</summary>
    private static List<string> Layout1Clocks(string path, params string[] tables)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        var lines = new List<string>();
        foreach (var table in tables)
        {
            using var command = connection.CreateCommand();
            var pk = table == "pairs" ? "quote(p.a) || ',' || p.b" : table == "tags" ? "quote(p.tag)" : "p.id";
            command.CommandText = $"SELECT '{table}', {pk}, c.cid, c.col_version, c.db_version, hex(s.site_id), c.seq FROM {table}__corro_clock c JOIN {table}__corro_pks p ON p.key = c.key LEFT JOIN __corro_sites s ON s.ordinal = c.site WHERE NOT (c.cid = '-1' AND c.col_version = 1 AND '{table}' <> 'tags')";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                lines.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static List<string> CurrentClocks(CrdtStore store)
    {
        var lines = new List<string>();
        lines.AddRange(store.Rows("SELECT 'items', c.key, c.cid, c.col_version, c.db_version, hex(s.site_id), c.seq FROM items__corro_clock c LEFT JOIN __corro_sites s ON s.ordinal = c.site").Select(Line));
        lines.AddRange(store.Rows("SELECT 'pairs', quote(p.a) || ',' || p.b, c.cid, c.col_version, c.db_version, hex(s.site_id), c.seq FROM pairs__corro_clock c JOIN pairs__corro_pks p ON p.key = c.key LEFT JOIN __corro_sites s ON s.ordinal = c.site").Select(Line));
        lines.AddRange(store.Rows("SELECT 'tags', quote(p.tag), c.cid, c.col_version, c.db_version, hex(s.site_id), c.seq FROM tags__corro_clock c JOIN tags__corro_pks p ON p.key = c.key LEFT JOIN __corro_sites s ON s.ordinal = c.site").Select(Line));
        lines.Sort(StringComparer.Ordinal);
        return lines;

        static string Line(SqlValue[] row) => string.Join("|", row.Select(v => v.Kind == SqlValueKind.Text ? v.AsText : v.ToString()));
    }

    private static StoreOptions CopyOfLayout2(StoreBuilder builder)
    {
        var dir = Path.Combine(builder.Root, "migrated2");
        Directory.CreateDirectory(dir);
        File.Copy(Fixture("layout2.db"), Path.Combine(dir, "corrosion.db"));
        // As the fixture was written: chunks of at most 2 changes.
        return new StoreOptions(Path.Combine(dir, "corrosion.db"), [Fixture("layout1.schema.sql")], Synchronous: "OFF", ReadPoolSize: 1, MaxChangesPerChunk: 2);
    }

    private static StoreOptions CopyOfLayout3(StoreBuilder builder)
    {
        var dir = Path.Combine(builder.Root, "migrated3");
        Directory.CreateDirectory(dir);
        File.Copy(Fixture("layout3.db"), Path.Combine(dir, "corrosion.db"));
        return new StoreOptions(Path.Combine(dir, "corrosion.db"), [Fixture("layout1.schema.sql")], Synchronous: "OFF", ReadPoolSize: 1, MaxChangesPerChunk: 2);
    }

    [Fact]
    public void A_layout_3_database_is_migrated_on_start_keeping_data_clocks_and_what_it_serves_for_sync()
    {
        using var builder = new StoreBuilder();
        using var store = builder.Open(CopyOfLayout3(builder));

        Assert.Equal(CrdtStore.CurrentClockLayout, store.Scalar("SELECT value FROM __corro_meta WHERE key = 'clock_layout'").AsInteger);
        Assert.Equal(1, store.Scalar("SELECT count(*) FROM pragma_table_info('__corro_versions') WHERE name = 'keys'").AsInteger);
        Assert.Equal(File.ReadAllLines(Fixture("layout3.snapshot.txt")), store.Snapshot());
        Assert.Equal(File.ReadAllLines(Fixture("layout3.sync.txt")), store.SyncDump());
        Assert.Equal(17, store.CurrentVersion);
    }

    [Fact]
    public void A_migrated_layout_3_database_serves_old_and_new_versions_and_keeps_merging()
    {
        using var builder = new StoreBuilder().WithSchema(File.ReadAllText(Fixture("layout1.schema.sql")));
        var store = builder.Open(CopyOfLayout3(builder));
        var write = store.Exec("UPDATE items SET name = 'neu' WHERE id = 120");
        Assert.Equal(18, write.Version);
        // The new version's key list is in its own row, the old ones stay in __corro_version_keys.
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM __corro_version_keys WHERE site = 0 AND db_version = 18").AsInteger);
        Assert.Equal(1, store.Scalar("SELECT count(*) FROM __corro_versions WHERE version = 18 AND keys IS NOT NULL").AsInteger);
        store.Exec("DELETE FROM pairs WHERE a = 'zz'");
        var peer = builder.Build("peer");
        peer.Apply(store.AllChanges());
        Assert.Equal(store.Snapshot(), peer.Snapshot());
        peer.Exec("UPDATE items SET qty = 9 WHERE id = 122");
        store.Apply(peer.AllChanges());
        Assert.Equal(store.Snapshot(), peer.Snapshot());
        // The versions written after the migration, served from the key lists in their rows, as the
        // peer serves them. (Older ones differ where a key change's sentinel is only on the writer.)
        var after = new Dictionary<ActorId, long> { [store.SiteId] = store.CurrentVersion };
        var served = ServedChanges(store, after).Where(l => l.Contains(" v18 ", StringComparison.Ordinal) || l.Contains(" v19 ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, served.Count);
        Assert.Equal(served, ServedChanges(peer, after).Where(l => l.Contains(" v18 ", StringComparison.Ordinal) || l.Contains(" v19 ", StringComparison.Ordinal)).ToList());
    }

    [Fact]
    public void A_layout_2_database_is_migrated_on_start_keeping_data_clocks_and_what_it_serves_for_sync()
    {
        using var builder = new StoreBuilder();
        var options = CopyOfLayout2(builder);
        using var store = builder.Open(options);

        Assert.Equal(CrdtStore.CurrentClockLayout, store.Scalar("SELECT value FROM __corro_meta WHERE key = 'clock_layout'").AsInteger);
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'index') AND name GLOB '*__corro_clock*' AND name NOT GLOB '*__corro_clock_rows'").AsInteger);
        Assert.Equal(File.ReadAllLines(Fixture("layout2.snapshot.txt")), store.Snapshot());
        Assert.Equal(File.ReadAllLines(Fixture("layout2.sync.txt")), store.SyncDump());
        Assert.Equal(10, store.CurrentVersion);
    }

    [Fact]
    public void A_migrated_layout_2_database_keeps_writing_merging_and_serving_sync()
    {
        using var builder = new StoreBuilder().WithSchema(File.ReadAllText(Fixture("layout1.schema.sql")));
        var store = builder.Open(CopyOfLayout2(builder));
        var peer = builder.Build("peer");
        peer.Apply(store.AllChanges());
        Assert.Equal(store.Snapshot(), peer.Snapshot());

        var write = store.Exec("UPDATE items SET name = 'eins' WHERE id = 1");
        Assert.Equal(11, write.Version);
        var change = Assert.Single(Assert.Single(write.Changesets).Changes);
        Assert.Equal((1L, "name", 3L), (change.Pk[0].AsInteger, change.Cid, change.ColVersion));
        store.Exec("DELETE FROM pairs WHERE a = 'x'");
        store.Exec("INSERT OR REPLACE INTO tags (tag) VALUES ('blue')");
        peer.Exec("UPDATE items SET qty = 42 WHERE id = 3");
        peer.Apply(store.AllChanges());
        store.Apply(peer.AllChanges());
        Assert.Equal(store.Snapshot(), peer.Snapshot());
        Assert.Equal(42, store.Scalar("SELECT qty FROM items WHERE id = 3").AsInteger);
        // Both serve the same changes for every version both have (chunked differently).
        Assert.Equal(ServedChanges(store, peer.GetSyncState().Heads), ServedChanges(peer, peer.GetSyncState().Heads));
    }

    private static List<string> ServedChanges(CrdtStore store, IReadOnlyDictionary<ActorId, long> heads)
    {
        var lines = new List<string>();
        foreach (var (actor, head) in heads)
        {
            foreach (var changeset in store.ChangesFor(actor, new VersionRange(1, head)))
            {
                lines.AddRange(changeset is ChangesetFull full
                    ? full.Changes.Select(c => $"{actor} v{full.Version} {c.Table} ({string.Join(",", c.Pk.Select(v => v.ToString()))}) {c.Cid}={c.Value} col {c.ColVersion} db {c.DbVersion} site {c.SiteId} cl {c.Cl} seq {c.Seq}")
                    : []);
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    [Fact]
    public void Reopening_a_migrated_layout_2_database_changes_nothing()
    {
        using var builder = new StoreBuilder();
        var options = CopyOfLayout2(builder);
        List<string> first;
        List<string> sync;
        using (var store = CrdtStore.Open(options))
        {
            first = store.Snapshot();
            sync = store.SyncDump();
        }

        using var again = builder.Open(options);
        Assert.Equal(first, again.Snapshot());
        Assert.Equal(sync, again.SyncDump());
    }

    [Fact]
    public void A_layout_1_database_is_migrated_on_start_keeping_every_cell_clock()
    {
        using var builder = new StoreBuilder();
        var options = CopyOfLayout1(builder);
        var before = Layout1Clocks(options.Path, "items", "pairs", "tags");
        using var store = builder.Open(options);
        Assert.Equal(CrdtStore.CurrentClockLayout, store.Scalar("SELECT value FROM __corro_meta WHERE key = 'clock_layout'").AsInteger);
        // items is keyed by a rowid alias: its key map is gone and its clocks are keyed by id.
        Assert.Equal(0, store.Scalar("SELECT count(*) FROM sqlite_master WHERE name IN ('items__corro_pks', 'items__corro_clock_layout1')").AsInteger);
        Assert.Equal(1, store.Scalar("SELECT count(*) FROM sqlite_master WHERE name = 'pairs__corro_pks'").AsInteger);
        Assert.Equal(before, CurrentClocks(store));
        Assert.Equal(7, store.CurrentVersion);
        Assert.Equal("3|'again'|4|'uno'|10|'remote'", string.Join("|", store.Rows("SELECT id, name FROM items ORDER BY id").SelectMany(r => r.Select(v => v.ToString()))));
    }

    [Fact]
    public void A_migrated_database_serves_its_versions_and_keeps_writing_and_merging()
    {
        using var builder = new StoreBuilder().WithSchema(File.ReadAllText(Fixture("layout1.schema.sql")));
        var store = builder.Open(CopyOfLayout1(builder));
        var peer = builder.Build("peer");
        peer.Apply(store.AllChanges());
        Assert.Equal(store.Snapshot(), peer.Snapshot());

        var write = store.Exec("UPDATE items SET name = 'tres' WHERE id = 3");
        Assert.Equal(8, write.Version);
        var change = Assert.Single(Assert.Single(write.Changesets).Changes);
        Assert.Equal((3L, "name", 3L), (change.Pk[0].AsInteger, change.Cid, change.Cl));
        store.Exec("INSERT OR REPLACE INTO items (id, name) VALUES (3, 'replaced')");
        peer.Exec("UPDATE items SET qty = 99 WHERE id = 4");
        peer.Apply(store.AllChanges());
        store.Apply(peer.AllChanges());
        Assert.Equal(store.Snapshot(), peer.Snapshot());
        Assert.Equal(5, store.Scalar("SELECT col_version FROM items__corro_clock WHERE key = 3 AND cid = '-1'").AsInteger);
        Assert.Equal(99, peer.Scalar("SELECT qty FROM items WHERE id = 4").AsInteger);
    }

    [Fact]
    public void Reopening_a_migrated_database_changes_nothing()
    {
        using var builder = new StoreBuilder();
        var options = CopyOfLayout1(builder);
        List<string> first;
        using (var store = CrdtStore.Open(options))
        {
            first = store.Snapshot();
        }

        using var again = builder.Open(options);
        Assert.Equal(first, again.Snapshot());
    }
}
