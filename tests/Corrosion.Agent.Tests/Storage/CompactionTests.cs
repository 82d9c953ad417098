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
    public void A_new_pass_starts_only_after_something_was_written()
    {
        var store = Updated(10);
        Assert.Equal(9, store.CompactStep(1000, TimeSpan.FromMinutes(1)).Compacted);
        Assert.False(store.CompactionPending);
        Assert.Equal(default, store.CompactStep(1000, TimeSpan.FromMinutes(1)));

        store.Exec("UPDATE items SET name = 'again' WHERE id = 1");
        Assert.True(store.CompactionPending);
        var step = store.CompactStep(1000, TimeSpan.FromMinutes(1));
        Assert.Equal((2, 1), (step.Examined, step.Compacted));

        // A merge counts as a write too.
        var peer = _builder.Build("peer");
        peer.Exec("INSERT INTO items (id, name) VALUES (1, 'peer')");
        store.Apply(peer.AllChanges());
        Assert.True(store.CompactionPending);
    }

    [Fact]
    public void Versions_written_since_the_last_pass_are_looked_at_before_older_live_ones()
    {
        var store = _builder.Build("store");
        for (var id = 1; id <= 50; id++)
        {
            store.Exec($"INSERT INTO items (id, name) VALUES ({id}, 'a')");
        }

        store.CompactAll();
        for (var i = 0; i < 20; i++)
        {
            store.Exec($"UPDATE items SET name = 'n{i}' WHERE id = 1");
        }

        // v50 (row 50, the highest before) and v51..v69 (overwritten) come first; v70 is the highest now.
        var step = store.CompactStep(20, TimeSpan.FromMinutes(1));

        Assert.Equal(new CompactionStep(20, 19, true), step);
        Assert.Equal(50 + 1, VersionRows(store));
        // Then the older ones again: row 1's insert still has its qty and data cells.
        Assert.Equal(0, store.CompactAll().Compacted);
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
        var (sync, snapshot) = (store.SyncDump(), store.Snapshot());
        var localLists = Count(store, "SELECT count(DISTINCT db_version) FROM __corro_version_keys WHERE site = 0");
        var rows = VersionRows(store);

        var (compacted, _) = store.CompactAll();

        Assert.True(compacted > 0);
        Assert.Equal(rows - compacted, VersionRows(store));
        Assert.True(Count(store, "SELECT count(DISTINCT db_version) FROM __corro_version_keys WHERE site = 0") < localLists);
        Assert.Equal(sync, store.SyncDump());
        Assert.Equal(snapshot, store.Snapshot());
        store.Dispose();
        var reopened = _builder.Open(options);
        Assert.Equal(17, reopened.CurrentVersion);
        Assert.Equal(sync, reopened.SyncDump());
    }

    public void Dispose() => _builder.Dispose();
}
