using Corrosion.Agent.Storage;
using FsCheck;
using FsCheck.Fluent;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>
/// Property: replicas that run random operations and then exchange all changesets (any order,
/// any grouping, duplicates, chunked) end with identical user tables and identical clocks.
/// </summary>
public class ConvergenceProperties
{
    public sealed record Op(int Replica, int Kind, int Id, int Other, int Value);

    public sealed record Scenario(int Replicas, IReadOnlyList<Op> Ops, int Seed)
    {
        public override string ToString() => $"{Replicas} replicas, seed {Seed}: " + string.Join("; ", Ops.Select(o => $"r{o.Replica} k{o.Kind} id{o.Id} o{o.Other} v{o.Value}"));
    }

    private static readonly string[] Values = { "NULL", "0", "1", "1.5", "'a'", "'b'", "x'00'" };

    private static Gen<Scenario> Scenarios() =>
        from replicas in Gen.Choose(2, 4)
        from ops in Gen.ListOf(
            from r in Gen.Choose(0, replicas - 1)
            from kind in Gen.Choose(0, 7)
            from id in Gen.Choose(1, 3)
            from other in Gen.Choose(0, 3)
            from value in Gen.Choose(0, Values.Length - 1)
            select new Op(r, kind, id, other, value)).Resize(25)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Scenario(replicas, ops, seed);

    private static void Run(CrdtStore[] stores, Op op)
    {
        var store = stores[op.Replica];
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
            _ => null,
        };
        if (sql is not null)
        {
            store.Exec(sql);
            return;
        }

        // Partial sync mid-way: replica pulls everything another replica has, so later writes are causally after.
        var from = stores[op.Other % stores.Length];
        if (from != store)
        {
            store.Apply(from.AllChanges());
        }
    }

    private static bool Converges(Scenario scenario)
    {
        using var builder = new StoreBuilder().WithMaxChunk(3);
        var stores = Enumerable.Range(0, scenario.Replicas).Select(i => builder.Build("r" + i)).ToArray();
        foreach (var op in scenario.Ops)
        {
            Run(stores, op);
        }

        var random = new Random(scenario.Seed);
        var everything = stores.SelectMany(s => s.AllChanges()).ToList();
        foreach (var store in stores)
        {
            // Any order, any grouping, with duplicates.
            var shuffled = everything.Concat(everything.Where(_ => random.Next(4) == 0)).OrderBy(_ => random.Next()).ToList();
            var at = 0;
            while (at < shuffled.Count)
            {
                var size = random.Next(1, 6);
                store.Apply(shuffled.Skip(at).Take(size).ToList());
                at += size;
            }
        }

        var expected = stores[0].Snapshot();
        for (var i = 1; i < stores.Length; i++)
        {
            var actual = stores[i].Snapshot();
            if (!expected.SequenceEqual(actual))
            {
                throw new InvalidOperationException(
                    $"replica {i} differs from replica 0:\n only in 0: {string.Join("\n  ", expected.Except(actual))}\n only in {i}: {string.Join("\n  ", actual.Except(expected))}");
            }
        }

        foreach (var store in stores)
        {
            var state = store.GetSyncState();
            if (state.Needs.Count > 0 || state.PartialNeeds.Count > 0)
            {
                throw new InvalidOperationException($"gaps left after full exchange: {string.Join(", ", state.Needs.Select(n => $"{n.Key}: {string.Join(",", n.Value)}"))}");
            }

            if (store.Rows("SELECT count(*) FROM items__corro_clock WHERE site IS NULL AND col_version > 1").Single()[0].AsInteger != 0)
            {
                throw new InvalidOperationException("placeholder sentinel left after full exchange");
            }
        }

        return true;
    }

    [Fact]
    public void Replicas_converge_after_exchanging_all_changesets_in_any_order()
    {
        var property = Prop.ForAll(Arb.From(Scenarios()), Converges);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), property);
    }

    [Fact]
    public void A_replica_that_receives_cleared_versions_records_them_as_applied()
    {
        var property = Prop.ForAll(Arb.From(Scenarios()), scenario =>
        {
            using var builder = new StoreBuilder();
            var source = builder.Build("source");
            foreach (var op in scenario.Ops.Where(o => o.Kind < 7))
            {
                Run(new[] { source }, op with { Replica = 0 });
            }

            var sink = builder.Build("sink");
            var served = source.ChangesFor(source.SiteId, new VersionRange(1, Math.Max(1, source.CurrentVersion)));
            sink.Apply(served);
            var state = sink.GetSyncState();
            return !state.Needs.ContainsKey(source.SiteId)
                && (source.CurrentVersion == 0 || state.Heads[source.SiteId] == source.CurrentVersion)
                && source.Snapshot().SequenceEqual(sink.Snapshot());
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(50), property);
    }
}
