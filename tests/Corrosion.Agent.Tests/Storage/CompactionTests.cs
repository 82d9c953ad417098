using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>Bookkeeping compaction (<see cref="CrdtStore.CompactStep"/>): bounded steps, what it keeps, restarts, old layouts.</summary>
public sealed class CompactionTests : IDisposable
{
    private readonly StoreBuilder _builder = new();

    private static long Count(CrdtStore store, string sql) => store.Scalar(sql).AsInteger;

    private static long VersionRows(CrdtStore store) => Count(store, "SELECT count(*) FROM __corro_versions");

    /// <summary>Row 1 inserted (v1), then its name updated <paramref name="updates"/> times: v2..v(updates) are cleared, v1 keeps its other cells.</summary>
    private CrdtStore Updated(int updates, string name = "n")
    {
        var store = _builder.Build(name);
        store.Exec("INSERT INTO items (id, name, qty) VALUES (1, 'a', 1)");
        for (var i = 0; i < updates; i++)
        {
            store.Exec($"UPDATE items SET name = 'n{i}' WHERE id = 1");
        }

        return store;
    }

    [Fact]
    public void A_step_looks_at_no_more_versions_than_its_batch_and_a_backlog_takes_several_steps()
    {
        var store = Updated(1000);
        var steps = new List<CompactionStep>();
        CompactionStep step;
        do
        {
            step = store.CompactStep(100, TimeSpan.FromMinutes(1));
            steps.Add(step);
        }
        while (step.More);

        Assert.All(steps, s => Assert.InRange(s.Examined, 0, 100));
        Assert.InRange(steps.Count, 10, 12);
        Assert.Equal(999, steps.Sum(s => s.Compacted));
        // v1 (its qty is still its own) and v1001, the highest, are left.
        Assert.Equal(new long[] { 1, 1001 }, store.Rows("SELECT version FROM __corro_versions ORDER BY version").Select(r => r[0].AsInteger));
    }

    [Fact]
    public void A_step_stops_at_its_time_bound_after_one_version()
    {
        var store = Updated(20);

        var step = store.CompactStep(1000, TimeSpan.Zero);

        Assert.Equal(new CompactionStep(1, 0, true), step);
        step = store.CompactStep(1000, TimeSpan.Zero);
        Assert.Equal(new CompactionStep(1, 1, true), step);
        Assert.Equal(20, VersionRows(store));
    }

    [Fact]
    public void Compaction_looks_again_only_after_something_was_written()
    {
        var store = Updated(10);
        Assert.Equal(9, store.CompactStep(1000, TimeSpan.FromMinutes(1)).Compacted);
        Assert.False(store.CompactionPending);
        Assert.Equal(default, store.CompactStep(1000, TimeSpan.FromMinutes(1)));

        store.Exec("UPDATE items SET name = 'again' WHERE id = 1");
        Assert.True(store.CompactionPending);
        var step = store.CompactStep(1000, TimeSpan.FromMinutes(1));
        // v11, whose name v12 overwrote: nothing else.
        Assert.Equal((1, 1), (step.Examined, step.Compacted));

        // A merge counts as a write too: the peer's version wins no cell (v1 and v13 have the higher col_versions or
        // values), so it is cleared as it is applied.
        store.Exec("UPDATE items SET data = 'z' WHERE id = 1");
        Assert.Equal(0, store.CompactAll().Compacted);
        var peer = _builder.Build("peer");
        peer.Exec("INSERT INTO items (id, name) VALUES (1, 'peer')");
        peer.Exec("INSERT INTO items (id, name) VALUES (2, 'peer')");
        store.Apply(peer.AllChanges());
        Assert.True(store.CompactionPending);
        Assert.Equal(1, store.CompactAll().Compacted);
    }

    [Fact]
    public void A_step_looks_only_at_the_versions_that_lost_a_cell()
    {
        var store = _builder.Build("store");
        for (var id = 1; id <= 50; id++)
        {
            store.Exec($"INSERT INTO items (id, name) VALUES ({id}, 'a')");
        }

        Assert.False(store.CompactionPending);
        for (var i = 0; i < 20; i++)
        {
            store.Exec($"UPDATE items SET name = 'n{i}' WHERE id = 1");
        }

        // v1 (row 1's insert: its name went, its qty and data are left) and v51..v69 (overwritten); v70 is the highest.
        // Rows 2..50's inserts are not looked at.
        var step = store.CompactStep(1000, TimeSpan.FromMinutes(1));

        Assert.Equal(new CompactionStep(20, 19, false), step);
        Assert.Equal(50 + 1, VersionRows(store));
        Assert.Equal(0, store.CompactAll(walk: true).Compacted);
    }

    [Fact]
    public void A_version_with_a_long_key_list_is_checked_over_several_steps()
    {
        var store = _builder.Build("store");
        store.Exec("INSERT INTO items (id, name, qty, data) WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < 2000) SELECT v, 'a', 1, 1 FROM s");
        // Every cell of v1 overwritten by v2 (v3: v2 is not the highest).
        store.Exec("UPDATE items SET name = 'b', qty = 2, data = 2");
        store.Exec("INSERT INTO items (id) VALUES (5000)");

        var steps = new List<CompactionStep>();
        CompactionStep step;
        do
        {
            step = store.CompactStep(1000, TimeSpan.Zero);
            steps.Add(step);
        }
        while (step.More && steps.Count < 1000);

        // A time bound of 0 lets a step check one run of keys: v1's 2000 are checked over many steps.
        Assert.InRange(steps.Count, 10, 999);
        Assert.Equal(1, steps.Sum(s => s.Compacted));
        Assert.Equal(1, steps[^1].Compacted);
        Assert.All(steps[..^1], s => Assert.Equal(0, s.Compacted));
        Assert.Equal(new long[] { 2, 3 }, store.Rows("SELECT version FROM __corro_versions ORDER BY version").Select(r => r[0].AsInteger));
    }

    [Fact]
    public void The_candidates_are_kept_across_a_clean_restart_and_walked_for_after_a_crash()
    {
        var store = Updated(10);
        var options = store.Options;
        Assert.Equal(10, store.CompactionCandidates);
        // The running process's files, as a crash would leave them.
        var crashed = Path.Combine(_builder.Root, "crashed");
        Directory.CreateDirectory(crashed);
        foreach (var suffix in new[] { "", "-wal" })
        {
            File.Copy(options.Path + suffix, Path.Combine(crashed, "corrosion.db" + suffix));
        }

        store.Dispose();

        var reopened = _builder.Open(options);
        Assert.False(reopened.CompactionWalking);
        Assert.Equal(10, reopened.CompactionCandidates);
        Assert.Equal(0, Count(reopened, "SELECT count(*) FROM __corro_compaction_candidates"));
        Assert.Equal(9, reopened.CompactAll().Compacted);

        var afterCrash = _builder.Open(options with { Path = Path.Combine(crashed, "corrosion.db") });
        Assert.True(afterCrash.CompactionWalking);
        Assert.Equal(9, afterCrash.CompactAll().Compacted);
        Assert.False(afterCrash.CompactionWalking);
        Assert.Equal(new long[] { 1, 11 }, afterCrash.Rows("SELECT version FROM __corro_versions ORDER BY version").Select(r => r[0].AsInteger));
    }

    [Fact]
    public void A_cleared_highest_version_goes_once_a_higher_one_comes()
    {
        var store = _builder.Build("store");
        var peer = _builder.Build("peer");
        peer.Exec("INSERT INTO items (id, name, qty) VALUES (1, 'p', 1)");
        store.Apply(peer.AllChanges());
        // The peer's v1 loses every cell here, but is its highest.
        store.Exec("UPDATE items SET name = 'mine', qty = 2, data = 1 WHERE id = 1");
        Assert.Equal(0, store.CompactAll().Compacted);
        Assert.False(store.CompactionPending);

        peer.Exec("INSERT INTO items (id, name) VALUES (2, 'p2')");
        store.Apply(peer.AllChanges());

        Assert.True(store.CompactionPending);
        Assert.Equal(1, store.CompactAll().Compacted);
        Assert.Equal(new Changeset[] { new ChangesetEmpty(peer.SiteId, VersionRange.Single(1)) }, store.ChangesFor(peer.SiteId, VersionRange.Single(1)));
    }

    [Fact]
    public void Orphan_key_lists_are_swept_once()
    {
        var store = Updated(10);
        Assert.Equal(9, store.CompactAll().Compacted);
        var options = store.Options;
        var current = store.CurrentVersion;
        store.Dispose();
        // Key lists of applied versions without a row (v3, v5: compacted), as the layout-2 migration left them, and of a
        // version not applied (v50), which are kept.
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={options.Path};Pooling=False"))
        {
            db.Open();
            using var command = db.CreateCommand();
            command.CommandText = """
                INSERT INTO __corro_version_keys (site, db_version, tbl, part, keys) VALUES (0, 3, 'items', 0, x'0000000000000001'), (0, 5, 'items', 0, x'0000000000000001'), (0, 5, 'pairs', 0, x'0000000000000001'), (0, 50, 'items', 0, x'0000000000000001');
                DELETE FROM __corro_meta WHERE key = 'orphan_keys_swept';
                """;
            command.ExecuteNonQuery();
        }

        var reopened = _builder.Open(options);
        var sync = reopened.SyncDump();
        Assert.True(reopened.CompactionPending);
        var steps = 0;
        while (reopened.CompactStep(1, TimeSpan.FromMinutes(1)).More)
        {
            steps++;
        }

        Assert.Equal(2, reopened.OrphanKeyListsDeleted);
        Assert.True(steps >= 2);
        Assert.Equal(new long[] { 50 }, reopened.Rows("SELECT DISTINCT db_version FROM __corro_version_keys ORDER BY 1").Select(r => r[0].AsInteger));
        Assert.Equal(sync, reopened.SyncDump());
        Assert.Equal(current, reopened.CurrentVersion);
        reopened.Dispose();
        var again = _builder.Open(options);
        Assert.False(again.CompactionPending);
    }

    [Fact]
    public void A_version_overwritten_by_a_merge_is_compacted_and_a_partly_overwritten_one_is_kept()
    {
        var store = _builder.Build("store");
        store.Exec("INSERT INTO items (id, name, qty) VALUES (1, 'a', 1)");
        store.Exec("INSERT INTO items (id, name, qty) VALUES (2, 'b', 2)");
        store.Exec("INSERT INTO items (id, name) VALUES (3, 'c')");
        var peer = _builder.Build("peer");
        peer.Apply(store.AllChanges());
        // The peer's delete of row 1 clears v1; its update of row 2's name leaves v2's qty.
        peer.Exec("DELETE FROM items WHERE id = 1");
        peer.Exec("UPDATE items SET name = 'B' WHERE id = 2");
        store.Apply(peer.AllChanges());

        Assert.Equal(1, store.CompactAll().Compacted);

        Assert.Equal(new long[] { 2, 3 }, store.Rows($"SELECT version FROM __corro_versions WHERE site_id = x'{Convert.ToHexString(store.SiteId.ToByteArray())}' ORDER BY version").Select(r => r[0].AsInteger));
        Assert.Equal(new Changeset[] { new ChangesetEmpty(store.SiteId, VersionRange.Single(1)) }, store.ChangesFor(store.SiteId, VersionRange.Single(1)));
    }

    [Fact]
    public void Compaction_never_lowers_the_next_local_version_nor_the_clock()
    {
        var store = _builder.Build("store");
        store.Exec("INSERT INTO items (id, name) VALUES (1, 'a')");
        store.Exec("UPDATE items SET name = 'b' WHERE id = 1");
        var peer = _builder.Build("peer");
        peer.Apply(store.AllChanges());
        peer.Exec("DELETE FROM items WHERE id = 1");
        store.Apply(peer.AllChanges());
        // Both local versions are cleared now; v2 is the highest and keeps its row.
        Assert.Equal(1, store.CompactAll().Compacted);
        var (version, clock, sync) = (store.CurrentVersion, store.LastTimestamp, store.SyncDump());
        var options = store.Options;
        store.Dispose();

        var reopened = _builder.Open(options);

        Assert.Equal((2L, clock), (reopened.CurrentVersion, reopened.LastTimestamp));
        Assert.Equal(sync, reopened.SyncDump());
        Assert.Equal(3, reopened.Exec("INSERT INTO items (id, name) VALUES (5, 'c')").Version);
        Assert.Equal(version + 1, reopened.CurrentVersion);
    }

    [Fact]
    public void A_layout_3_database_loses_the_cleared_local_key_lists_and_serves_the_same()
    {
        var dir = Path.Combine(_builder.Root, "layout3");
        Directory.CreateDirectory(dir);
        var fixtures = Path.Combine(AppContext.BaseDirectory, "Storage", "Fixtures");
        File.Copy(Path.Combine(fixtures, "layout3.db"), Path.Combine(dir, "corrosion.db"));
        var options = new StoreOptions(Path.Combine(dir, "corrosion.db"), [Path.Combine(fixtures, "layout1.schema.sql")], Synchronous: "OFF", ReadPoolSize: 1, MaxChangesPerChunk: 2);
        var store = _builder.Open(options);
        // A database from before the candidates: walked once.
        Assert.True(store.CompactionWalking);
        var (sync, snapshot) = (store.SyncDump(), store.Snapshot());
        var localLists = Count(store, "SELECT count(DISTINCT db_version) FROM __corro_version_keys WHERE site = 0");
        var rows = VersionRows(store);

        var (compacted, _) = store.CompactAll();

        Assert.True(compacted > 0);
        Assert.Equal(rows - compacted, VersionRows(store));
        Assert.True(Count(store, "SELECT count(DISTINCT db_version) FROM __corro_version_keys WHERE site = 0") < localLists);
        Assert.Equal(sync, store.SyncDump());
        Assert.Equal(snapshot, store.Snapshot());
        Assert.False(store.CompactionWalking);
        store.Dispose();
        var reopened = _builder.Open(options);
        Assert.False(reopened.CompactionWalking);
        Assert.Equal(17, reopened.CurrentVersion);
        Assert.Equal(sync, reopened.SyncDump());
    }

    public void Dispose() => _builder.Dispose();
}
