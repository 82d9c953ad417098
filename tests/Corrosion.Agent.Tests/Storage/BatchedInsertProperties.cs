using Corrosion.Agent.Storage;
using FsCheck;
using FsCheck.Fluent;

namespace Corrosion.Agent.Tests.Storage;

/// <summary>
/// Property: local inserts whose clock rows are written together at the end of the transaction (or when something
/// needs them earlier) give the same clocks, versions and changesets as the insert trigger writing them row by row.
/// </summary>
public class BatchedInsertProperties
{
    public sealed record Op(int Kind, int Id, int Other, int Value);

    public sealed record Scenario(IReadOnlyList<IReadOnlyList<Op>> Transactions)
    {
        public override string ToString() =>
            string.Join(" / ", Transactions.Select(t => string.Join("; ", t.Select(o => $"k{o.Kind} id{o.Id} o{o.Other} v{o.Value}"))));
    }

    // Texts that look like numbers and a whole REAL: the columns' affinities (name TEXT, qty INTEGER, data NUMERIC)
    // convert them, and a batched insert's changes carry the values as stored, not as written.
    private static readonly string[] Values = { "NULL", "0", "1", "1.5", "'a'", "'b'", "x'00'", "'2'", "'2.0'", "2.0" };

    private static Gen<Scenario> Scenarios() =>
        from transactions in Gen.ListOf(
            Gen.ListOf(
                from kind in Gen.Choose(0, 11)
                from id in Gen.Choose(1, 4)
                from other in Gen.Choose(1, 4)
                from value in Gen.Choose(0, Values.Length - 1)
                select new Op(kind, id, other, value)).Resize(6).Select(ops => (IReadOnlyList<Op>)ops.ToList())).Resize(8)
        select new Scenario(transactions.ToList());

    private static IEnumerable<string> Statements(Op op)
    {
        var (v, w) = (Values[op.Value], Values[(op.Value + op.Other) % Values.Length]);
        switch (op.Kind)
        {
            case 0:
                yield return $"INSERT INTO items (id, name, data) VALUES ({op.Id}, {v}, {w})";
                break;
            case 1:
                yield return $"INSERT OR REPLACE INTO items (id, name, data) VALUES ({op.Id}, {v}, {w})";
                break;
            case 2:
                yield return $"INSERT OR IGNORE INTO items (id, name, qty) VALUES ({op.Id}, {v}, {w})";
                break;
            case 3:
                yield return $"INSERT INTO items (id, name) VALUES ({op.Id}, {v}), ({op.Other}, {w}) ON CONFLICT (id) DO UPDATE SET name = excluded.name";
                break;
            case 4:
                yield return $"UPDATE items SET name = {v}, qty = qty + 1 WHERE id = {op.Id}";
                break;
            case 5:
                yield return $"DELETE FROM items WHERE id = {op.Id}";
                break;
            case 6:
                yield return $"UPDATE OR IGNORE items SET id = {op.Other + 4} WHERE id = {op.Id}";
                break;
            case 7:
                // Several rows, one key twice, in one statement.
                yield return $"INSERT OR REPLACE INTO items (id, name) VALUES ({op.Id}, {v}), ({op.Other + 8}, {w}), ({op.Id}, {w})";
                break;
            case 8:
                yield return "SAVEPOINT s";
                yield return $"INSERT OR REPLACE INTO items (id, name) VALUES ({op.Id}, {v})";
                yield return op.Other % 2 == 0 ? "ROLLBACK TO s" : "RELEASE s";
                if (op.Other % 2 == 0)
                {
                    yield return "RELEASE s";
                }

                break;
            case 9:
                // A read of the clocks mid-transaction sees the inserts before it (copied into a replicated table).
                yield return $"INSERT OR REPLACE INTO pairs (a, b, v) SELECT 'clock', {op.Id}, group_concat(key || ':' || cid || ':' || col_version || ':' || seq, ',') FROM (SELECT * FROM items__corro_clock ORDER BY key, cid)";
                break;
            case 10:
                yield return $"INSERT OR REPLACE INTO pairs (a, b, v) VALUES ('k', {op.Id}, {v})";
                break;
            default:
                // Keys in descending order, then ascending: the batch is not one increasing run.
                yield return $"INSERT OR IGNORE INTO items (id, name) VALUES ({op.Id + 20}, {v})";
                yield return $"INSERT OR IGNORE INTO items (id, name) VALUES ({op.Other + 10}, {w})";
                yield return $"INSERT OR IGNORE INTO items (id, name) VALUES ({op.Id + 30}, {w})";
                break;
        }
    }

    /// <summary>What a transaction left: its version or error, and its changes (without the site, which differs).</summary>
    private static string Outcome(CrdtStore store, IReadOnlyList<Op> ops)
    {
        try
        {
            var result = store.Execute(ops.SelectMany(Statements).Select(s => new Statement(s)).ToList());
            var changes = result.Changesets.SelectMany(c => c.Changes)
                .Select(c => $"{c.Table} {string.Join(",", c.Pk)} {c.Cid}={c.Value.Kind}:{c.Value} v{c.ColVersion} d{c.DbVersion} cl{c.Cl} s{c.Seq}");
            return $"version {result.Version}: " + string.Join("; ", changes);
        }
        catch (StatementException e)
        {
            return $"failed at {e.StatementIndex}: {e.Message}";
        }
    }

    private static List<string> Clocks(CrdtStore store) =>
        store.Rows("SELECT 'items', key, cid, col_version, db_version, site, seq FROM items__corro_clock UNION ALL SELECT 'pairs', key, cid, col_version, db_version, site, seq FROM pairs__corro_clock ORDER BY 1, 2, 3")
            .Concat(store.Rows("SELECT 'row', * FROM items ORDER BY id"))
            .Concat(store.Rows("SELECT 'pair', * FROM pairs ORDER BY a, b"))
            .Select(r => string.Join("|", r.Select(c => c.ToString())))
            .ToList();

    private static bool SameAsTheTrigger(Scenario scenario)
    {
        using var builder = new StoreBuilder();
        var batched = builder.Build("batched");
        var triggered = builder.Build("triggered");
        triggered.BatchInserts = false;
        for (var i = 0; i < scenario.Transactions.Count; i++)
        {
            var expected = Outcome(triggered, scenario.Transactions[i]);
            var actual = Outcome(batched, scenario.Transactions[i]);
            if (expected != actual)
            {
                throw new InvalidOperationException($"transaction {i}:\n trigger: {expected}\n batched: {actual}");
            }

            var (expectedClocks, actualClocks) = (Clocks(triggered), Clocks(batched));
            if (!expectedClocks.SequenceEqual(actualClocks))
            {
                throw new InvalidOperationException(
                    $"after transaction {i}:\n only with the trigger: {string.Join("\n  ", expectedClocks.Except(actualClocks))}\n only batched: {string.Join("\n  ", actualClocks.Except(expectedClocks))}");
            }
        }

        var (fromTrigger, fromBatched) = (triggered.AllChanges(), batched.AllChanges());
        return fromTrigger.Count == fromBatched.Count;
    }

    [Fact]
    public void Batched_insert_clocks_equal_the_trigger_s()
    {
        var property = Prop.ForAll(Arb.From(Scenarios()), SameAsTheTrigger);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), property);
    }

    [Fact]
    public void Inserts_of_new_keys_take_dense_seqs_in_order()
    {
        using var builder = new StoreBuilder();
        var store = builder.Build();
        var result = store.Execute(Enumerable.Range(1, 5).Select(i => new Statement($"INSERT INTO items (id, name) VALUES ({i}, 'n{i}')")).ToList());
        var changes = result.Changesets.SelectMany(c => c.Changes).ToList();
        // Three value columns per row, no sentinel for a new row.
        Assert.Equal(Enumerable.Range(0, 15).Select(i => (long)i), changes.Select(c => c.Seq));
        Assert.Equal(Enumerable.Range(1, 5).SelectMany(i => Enumerable.Repeat((long)i, 3)), changes.Select(c => c.Pk[0].AsInteger));
    }
}
