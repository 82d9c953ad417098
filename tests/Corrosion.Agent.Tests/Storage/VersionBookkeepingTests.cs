using Corrosion.Agent.Storage;

namespace Corrosion.Agent.Tests.Storage;

public class VersionBookkeepingTests
{
    private static List<ChangesetFull> BigTransaction(CrdtStore store, int rows)
    {
        var statements = Enumerable.Range(1, rows).Select(i => new Statement("INSERT INTO items (id, name) VALUES (?, ?)", new[] { SqlValue.FromInteger(i), SqlValue.FromText("n" + i) })).ToList();
        return store.Execute(statements).Changesets.ToList();
    }

    [Fact]
    public void Large_transactions_are_chunked_with_contiguous_seq_ranges()
    {
        using var builder = new StoreBuilder().WithMaxChunk(7);
        var a = builder.Build();
        var chunks = BigTransaction(a, 5); // 5 rows x 3 cells = 15 changes (a new row has no sentinel change)
        Assert.Equal(3, chunks.Count);
        Assert.Equal(0, chunks[0].Seqs.Start);
        for (var i = 1; i < chunks.Count; i++)
        {
            Assert.Equal(chunks[i - 1].Seqs.End + 1, chunks[i].Seqs.Start);
        }

        Assert.Equal(14, chunks[^1].Seqs.End);
        Assert.All(chunks, c => Assert.Equal(14, c.LastSeq));
    }

    [Fact]
    public void Partial_versions_are_buffered_until_complete_then_applied_at_once()
    {
        using var builder = new StoreBuilder().WithMaxChunk(3);
        var a = builder.Build();
        var b = builder.Build();
        var chunks = BigTransaction(a, 4); // 12 changes, 4 chunks
        Assert.Equal(4, chunks.Count);
        var order = new[] { chunks[2], chunks[0], chunks[2], chunks[3] };
        foreach (var chunk in order)
        {
            var result = b.Apply(new[] { chunk });
            Assert.Empty(result.Applied);
            Assert.Equal(0, b.Scalar("SELECT count(*) FROM items").AsInteger);
        }

        var state = b.GetSyncState();
        Assert.Equal(1, state.Heads[a.SiteId]);
        Assert.False(state.Needs.ContainsKey(a.SiteId));
        Assert.Equal(new[] { chunks[1].Seqs }, state.PartialNeeds[a.SiteId][1]);
        Assert.Equal(9, b.Scalar("SELECT count(*) FROM __corro_buffered_changes").AsInteger);

        var done = b.Apply(new[] { chunks[1], chunks[1] });
        Assert.Equal(new[] { new ActorVersions(a.SiteId, VersionRange.Single(1)) }, done.Applied);
        Assert.Equal(12, done.Changed.Count);
        Assert.Equal(4, b.Scalar("SELECT count(*) FROM items").AsInteger);
        Assert.Equal(0, b.Scalar("SELECT count(*) FROM __corro_buffered_changes").AsInteger);
        Assert.Equal(0, b.Scalar("SELECT count(*) FROM __corro_seq_bookkeeping").AsInteger);
        Assert.Empty(b.GetSyncState().PartialNeeds);
        Assert.Equal(a.Snapshot(), b.Snapshot());
        Assert.True(b.Apply(chunks).IsEmpty);
    }

    [Fact]
    public void Buffered_chunks_survive_a_restart()
    {
        using var builder = new StoreBuilder().WithMaxChunk(3);
        var a = builder.Build();
        var chunks = BigTransaction(a, 3); // 9 changes, 3 chunks
        var options = builder.Options("b");
        using (var b = CrdtStore.Open(options))
        {
            b.Apply(new[] { chunks[0], chunks[2] });
        }

        using var again = CrdtStore.Open(options);
        Assert.Equal(new[] { chunks[1].Seqs }, again.GetSyncState().PartialNeeds[a.SiteId][1]);
        again.Apply(new[] { chunks[1] });
        Assert.Equal(3, again.Scalar("SELECT count(*) FROM items").AsInteger);
    }

    [Fact]
    public void Gaps_are_needs_and_heads_are_the_highest_version_seen()
    {
        using var builder = new StoreBuilder();
        var a = builder.Build();
        var b = builder.Build();
        var versions = Enumerable.Range(1, 5).Select(i => a.Exec("INSERT INTO items (id) VALUES (?)", i).Changesets.Single()).ToList();
        b.Apply(new[] { versions[0], versions[3] });
        var state = b.GetSyncState();
        Assert.Equal(4, state.Heads[a.SiteId]);
        Assert.Equal(new[] { new VersionRange(2, 3) }, state.Needs[a.SiteId]);
        Assert.Equal(5, a.GetSyncState().Heads[a.SiteId]);
        Assert.Empty(a.GetSyncState().Needs);
    }

    [Fact]
    public void Cleared_versions_are_served_empty_and_close_the_gap_on_the_receiver()
    {
        using var builder = new StoreBuilder();
        var a = builder.Build();
        var b = builder.Build();
        a.Exec("INSERT INTO items (id, name) VALUES (1, 'one')");          // v1: overwritten below
        a.Exec("INSERT INTO items (id, name) VALUES (2, 'two')");          // v2: stays
        a.Exec("UPDATE items SET name = 'uno', qty = 1, data = 1 WHERE id = 1"); // v3: partially overwritten by v4
        a.Exec("DELETE FROM items WHERE id = 1");                           // v4: clears v1 and v3
        var served = a.ChangesFor(a.SiteId, new VersionRange(1, 4));
        Assert.Collection(
            served,
            s => Assert.Equal(new ChangesetEmpty(a.SiteId, VersionRange.Single(1)), s),
            s => Assert.Equal(2, Assert.IsType<ChangesetFull>(s).Version),
            s => Assert.Equal(new ChangesetEmpty(a.SiteId, VersionRange.Single(3)), s),
            s => Assert.Equal(4, Assert.IsType<ChangesetFull>(s).Version));
        var result = b.Apply(served);
        Assert.Equal(4, result.Applied.Count);
        var state = b.GetSyncState();
        Assert.Equal(4, state.Heads[a.SiteId]);
        Assert.Empty(state.Needs);
        Assert.Equal(a.Snapshot(), b.Snapshot());
        // b can now serve a's versions to a third node, empties included.
        Assert.Equal(served, b.ChangesFor(a.SiteId, new VersionRange(1, 4)));
    }

    [Fact]
    public void Empty_changesets_for_a_range_coalesce_and_apply()
    {
        using var builder = new StoreBuilder();
        var b = builder.Build();
        var remote = ActorId.NewId();
        var result = b.Apply(new Changeset[] { new ChangesetEmpty(remote, new VersionRange(1, 10)), new ChangesetEmpty(remote, new VersionRange(5, 12)) });
        Assert.Equal(new[] { new ActorVersions(remote, new VersionRange(1, 10)), new ActorVersions(remote, new VersionRange(11, 12)) }, result.Applied);
        Assert.Equal(new Changeset[] { new ChangesetEmpty(remote, new VersionRange(1, 12)) }, b.ChangesFor(remote, new VersionRange(1, 100)));
        Assert.Equal(12, b.GetSyncState().Heads[remote]);
    }
    [Fact]
    public void A_sync_read_capped_by_changes_stops_after_the_whole_version_that_reaches_the_cap()
    {
        using var builder = new StoreBuilder();
        var a = builder.Build();
        a.Exec("INSERT INTO items (id, name) VALUES (1, 'one')");                  // v1
        a.Exec("INSERT INTO items (id, name) VALUES (2, 'two'), (3, 'three')");    // v2: twice v1's changes
        a.Exec("INSERT INTO items (id, name) VALUES (4, 'four')");                 // v3
        a.Exec("DELETE FROM items WHERE id = 4");                                  // v4: clears v3
        a.Exec("INSERT INTO items (id, name) VALUES (5, 'five')");                 // v5
        var whole = a.ChangesFor(a.SiteId, new VersionRange(1, 5));

        // The cap is reached inside v2: v2 is still read whole, and nothing after it.
        var capped = a.ChangesFor(a.SiteId, new VersionRange(1, 5), maxChanges: Assert.IsType<ChangesetFull>(whole[0]).Changes.Count + 1);
        Assert.Equal(whole.Take(2), capped);
        Assert.Equal(2, Assert.IsType<ChangesetFull>(capped[^1]).Version);

        // Read on from the next version: the pieces add up to the whole read.
        var rest = a.ChangesFor(a.SiteId, new VersionRange(3, 5), maxChanges: 1);
        Assert.Collection(
            rest,
            s => Assert.Equal(new ChangesetEmpty(a.SiteId, VersionRange.Single(3)), s),
            s => Assert.Equal(4, Assert.IsType<ChangesetFull>(s).Version));
        Assert.Equal(whole, capped.Concat(rest).Concat(a.ChangesFor(a.SiteId, new VersionRange(5, 5), maxChanges: 1)));
    }
}
