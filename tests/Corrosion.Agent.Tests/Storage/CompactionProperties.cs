using Corrosion.Agent.Storage;
using FsCheck;
using FsCheck.Fluent;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>
/// Property: after bookkeeping compaction (<see cref="CrdtStore.CompactStep"/>) of a store that ran random local and
/// merged workloads (inserts, updates, deletes, key changes on three tables, several sites, partly received versions, compaction steps,
/// clean restarts and crashes between them),
/// the store serves exactly what it served before for every actor and version, has lost the rows and key lists of the
/// versions it served as cleared (but each site's highest) and kept every other, and opens again with the same next
/// local version, clock and sync state.
/// </summary>
public class CompactionProperties
{
    private const string Schema = """
        CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER DEFAULT 0 NOT NULL, data ANY);
        CREATE TABLE pairs (a TEXT NOT NULL, b INTEGER NOT NULL, v, PRIMARY KEY (a, b));
        CREATE TABLE tags (tag TEXT NOT NULL PRIMARY KEY);
        """;

    public sealed record Op(int Replica, int Kind, int Id, int Other, int Value);

    public sealed record Scenario(int Replicas, IReadOnlyList<Op> Ops, int StepSize)
    {
        public override string ToString() => $"{Replicas} replicas, steps of {StepSize}: " + string.Join("; ", Ops.Select(o => $"r{o.Replica} k{o.Kind} id{o.Id} o{o.Other} v{o.Value}"));
    }

    private static readonly string[] Values = { "NULL", "0", "1", "1.5", "'a'", "'b'", "x'00'" };

    private static Gen<Scenario> Scenarios() =>
        from replicas in Gen.Choose(2, 3)
        from ops in Gen.ListOf(
            from r in Gen.Choose(0, replicas - 1)
            from kind in Gen.Choose(0, 15)
            from id in Gen.Choose(1, 4)
            from other in Gen.Choose(0, 3)
            from value in Gen.Choose(0, Values.Length - 1)
            select new Op(r, kind, id, other, value)).Resize(40)
        from stepSize in Gen.Choose(1, 7)
        select new Scenario(replicas, ops, stepSize);

    private static void Run(StoreBuilder builder, CrdtStore[] stores, bool[] crashed, Op op)
    {
        var store = stores[op.Replica];
        if (op.Kind == 14)
        {
            // A clean restart mid-way: what compaction had left to look at is saved and taken back.
            var options = store.Options;
            store.Dispose();
            stores[op.Replica] = builder.Open(options);
            return;
        }

        if (op.Kind == 15)
        {
            // A crash mid-way: the files as the running process left them, opened by a new one (which walks).
            var options = store.Options;
            var dir = Path.Combine(Path.GetDirectoryName(options.Path)!, "..", Path.GetFileName(Path.GetDirectoryName(options.Path)!) + "c");
            Directory.CreateDirectory(dir);
            foreach (var suffix in new[] { "", "-wal" })
            {
                File.Copy(options.Path + suffix, Path.Combine(dir, "corrosion.db" + suffix));
            }

            store.Dispose();
            stores[op.Replica] = builder.Open(options with { Path = Path.Combine(dir, "corrosion.db") });
            crashed[op.Replica] = true;
            return;
        }

        var v = Values[op.Value];
        var sql = op.Kind switch
        {
            0 => $"INSERT OR REPLACE INTO items (id, name, data) VALUES ({op.Id}, {v}, {Values[(op.Value + op.Other) % Values.Length]})",
            1 => $"UPDATE items SET name = {v} WHERE id = {op.Id}",
            2 => $"UPDATE items SET data = {v}, qty = qty + {op.Other} WHERE id = {op.Id}",
            3 => $"DELETE FROM items WHERE id = {op.Id}",
            4 => $"UPDATE OR IGNORE items SET id = {op.Other + 1} WHERE id = {op.Id}",
            5 => $"INSERT INTO pairs (a, b, v) VALUES ('k{op.Id}', {op.Other}, {v}) ON CONFLICT (a, b) DO UPDATE SET v = excluded.v",
            6 => $"DELETE FROM pairs WHERE a = 'k{op.Id}'",
            7 => $"INSERT OR IGNORE INTO tags (tag) VALUES ('t{op.Id}')",
            8 => $"DELETE FROM tags WHERE tag = 't{op.Id}'",
            // Several rows in one transaction: more than one chunk (chunks of 3), so a peer may get it in part.
            9 => $"INSERT OR REPLACE INTO items (id, name, qty) SELECT value, {v}, {op.Other} FROM (SELECT 1 AS value UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4)",
            _ => null,
        };
        if (sql is not null)
        {
            store.Exec(sql);
            return;
        }

        if (op.Kind >= 12)
        {
            // A compaction step mid-way: later passes look at versions an earlier one found live.
            store.CompactStep(1 + op.Other * 2, TimeSpan.FromMinutes(1));
            return;
        }

        var from = stores[op.Other % stores.Length];
        if (from == store)
        {
            return;
        }

        var changes = from.AllChanges();
        if (op.Kind == 10)
        {
            // Sync: everything the other replica has.
            store.Apply(changes);
            return;
        }

        // Only the first chunk of each of the other replica's multi-chunk versions: partly received versions.
        store.Apply(changes.OfType<ChangesetFull>().Where(c => c.Seqs.Start == 0 && c.Seqs.End < c.LastSeq).Cast<Changeset>().ToList());
    }

    private static List<string> VersionRows(CrdtStore store) =>
        store.Rows("SELECT hex(site_id), version FROM __corro_versions ORDER BY 1, 2").Select(r => $"{r[0].AsText} {r[1].AsInteger}").ToList();

    private static List<string> KeyLists(CrdtStore store) =>
        store.Rows("SELECT hex(s.site_id), k.db_version FROM __corro_version_keys k JOIN __corro_sites s ON s.ordinal = k.site GROUP BY 1, 2 ORDER BY 1, 2").Select(r => $"{r[0].AsText} {r[1].AsInteger}").ToList();

    private static bool ServedCleared(CrdtStore store, string row)
    {
        var parts = row.Split(' ');
        var actor = ActorId.FromBytes(Convert.FromHexString(parts[0]));
        var version = long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        return store.ChangesFor(actor, VersionRange.Single(version)) is [ChangesetEmpty];
    }

    private static bool CompactsExactlyTheClearedVersions(Scenario scenario)
    {
        using var builder = new StoreBuilder().WithSchema(Schema).WithMaxChunk(3);
        var stores = Enumerable.Range(0, scenario.Replicas).Select(i => builder.Build("r" + i)).ToArray();
        var crashed = new bool[stores.Length];
        foreach (var op in scenario.Ops)
        {
            Run(builder, stores, crashed, op);
        }

        for (var i = 0; i < stores.Length; i++)
        {
            // The same instance as the workload's (its compaction steps' memory of what they looked at included).
            var store = stores[i];
            var options = store.Options;
            var served = store.SyncDump();
            var snapshot = store.Snapshot();
            // What a restart without compaction would take: the local versions' highest, the clock from the rows (and
            // from the rows earlier steps deleted).
            var version = store.CurrentVersion;
            var clock = (ulong)store.Scalar("SELECT max(coalesce((SELECT max(ts) FROM __corro_versions), 0), coalesce((SELECT value FROM __corro_meta WHERE key = 'compacted_ts'), 0))").AsInteger;
            var rows = VersionRows(store);
            var highest = rows.GroupBy(r => r.Split(' ')[0]).Select(g => g.MaxBy(r => long.Parse(r.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture))!).ToHashSet();
            var cleared = rows.Where(r => !highest.Contains(r) && ServedCleared(store, r)).ToList();
            var keyLists = KeyLists(store);

            // Without a crash, only the versions that lost a cell are looked at: no walk.
            Expect(crashed[i] || !store.CompactionWalking, $"replica {i}: walks without a crash");
            var (compacted, steps) = store.CompactAll(maxVersionsPerStep: scenario.StepSize);

            Expect(compacted == cleared.Count, $"replica {i}: compacted {compacted} versions, {cleared.Count} were cleared");
            Expect(steps >= cleared.Count / scenario.StepSize, $"replica {i}: {steps} steps of at most {scenario.StepSize} versions compacted {compacted}");
            Expect(VersionRows(store).SequenceEqual(rows.Except(cleared)), $"replica {i}: rows left {string.Join(",", VersionRows(store))}, expected {string.Join(",", rows.Except(cleared))}");
            var keysLeft = KeyLists(store);
            Expect(!keysLeft.Intersect(cleared).Any(), $"replica {i}: key lists of cleared versions left: {string.Join(",", keysLeft.Intersect(cleared))}");
            Expect(keysLeft.SequenceEqual(keyLists.Except(cleared)), $"replica {i}: key lists of live versions lost: {string.Join(",", keyLists.Except(cleared).Except(keysLeft))}");
            Expect(served.SequenceEqual(store.SyncDump()), $"replica {i}: serves differently after compaction:\n only before: {string.Join("\n  ", served.Except(store.SyncDump()))}\n only after: {string.Join("\n  ", store.SyncDump().Except(served))}");
            Expect(snapshot.SequenceEqual(store.Snapshot()), $"replica {i}: data or clocks changed");
            Expect(store.CompactAll(walk: true).Compacted == 0, $"replica {i}: a walk over all versions found more");

            store.Dispose();
            store = builder.Open(options);
            Expect(store.CurrentVersion == version && store.LastTimestamp == clock, $"replica {i}: reopened at version {store.CurrentVersion} clock {store.LastTimestamp}, before {version} {clock}");
            Expect(served.SequenceEqual(store.SyncDump()), $"replica {i}: serves differently after a restart");
            Expect(store.Exec("INSERT OR REPLACE INTO tags (tag) VALUES ('after')").Version == version + 1, $"replica {i}: the next local version is not {version + 1}");

            // A fresh peer syncs from the compacted store and ends with the same data.
            var peer = builder.Build("peer" + i);
            peer.Apply(store.AllChanges());
            Expect(!peer.GetSyncState().Needs.Any(), $"replica {i}: a peer synced from it has gaps");
            Expect(peer.Snapshot().Where(l => l.Contains(" row ", StringComparison.Ordinal)).SequenceEqual(store.Snapshot().Where(l => l.Contains(" row ", StringComparison.Ordinal))), $"replica {i}: a peer synced from it has other rows");
        }

        return true;
    }

    private static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    [Fact]
    public void Compaction_deletes_the_bookkeeping_of_exactly_the_cleared_versions_and_serves_the_same()
    {
        var property = Prop.ForAll(Arb.From(Scenarios()), CompactsExactlyTheClearedVersions);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60), property);
    }
}
