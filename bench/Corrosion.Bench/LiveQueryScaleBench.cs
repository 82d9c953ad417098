using System.Diagnostics;
using System.Globalization;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;

namespace Corrosion.Bench;

/// <summary>
/// `subscriptions-scale` suite: what one change costs a live query as its table grows (10k, 100k, 1M
/// rows by default). For each size, a one-row update is evaluated by key (plan, keyed read on one
/// snapshot, merge into the materialised result: what the subscription actor does per change), and
/// for comparison the query is re-run in full and diffed. Two queries: the whole table, and a 1 %
/// filter. Runs on the store directly (no actor, no HTTP), so it measures the evaluation itself.
/// </summary>
internal static class LiveQueryScaleBench
{
    private const int Regions = 100;

    public static int Run(string[] args)
    {
        var sizes = args.Length > 0 ? args[0].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [10_000, 100_000, 1_000_000];
        var changes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        RunAll(Console.Out, sizes, changes);
        return 0;
    }

    public static void RunAll(TextWriter output, IReadOnlyList<int> sizes, int changes)
    {
        output.WriteLine($"## subscriptions-scale: cost of one changed row per live query ({changes} one-row updates per size)");
        output.WriteLine();
        output.WriteLine("| rows in table | query | result rows | by key p50 / p99 | full re-run + diff p50 | strategy |");
        output.WriteLine("| ---: | --- | ---: | ---: | ---: | --- |");
        foreach (var size in sizes)
        {
            using var dir = new BenchDirectory();
            var schema = dir.File("schema.sql");
            File.WriteAllText(schema, "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT, region TEXT, score INTEGER DEFAULT 0 NOT NULL);");
            using var store = CrdtStore.Open(new StoreOptions(dir.File("bench.db"), [schema], ReadPoolSize: 2, Synchronous: "OFF"));
            Load(store, size);
            foreach (var (label, sql) in new[]
            {
                ("whole table", "SELECT id, name, region, score FROM items"),
                ("1 % of rows", "SELECT id, score FROM items WHERE region = 'r7'"),
            })
            {
                var (rows, keyed, full, strategy) = Measure(store, sql, size, changes);
                output.WriteLine(FormattableString.Invariant(
                    $"| {size:N0} | {label} | {rows:N0} | {Percentile(keyed, 50):F3} / {Percentile(keyed, 99):F3} ms | {Percentile(full, 50):F1} ms | {strategy} |"));
            }
        }

        output.WriteLine();
    }

    private static void Load(CrdtStore store, int size)
    {
        const int batch = 20_000;
        for (var start = 0; start < size; start += batch)
        {
            var end = Math.Min(size, start + batch);
            store.Execute([new Statement(FormattableString.Invariant(
                $"INSERT INTO items (id, name, region, score) WITH RECURSIVE n(i) AS (SELECT {start} UNION ALL SELECT i + 1 FROM n WHERE i < {end - 1}) SELECT i, 'machine-' || i, 'r' || (i % {Regions}), 0 FROM n"))]);
        }
    }

    private static (int Rows, List<double> Keyed, List<double> Full, LiveQueryStrategy Strategy) Measure(CrdtStore store, string sql, int size, int changes)
    {
        var statement = new Statement(sql);
        var evaluator = new LiveQueryEvaluator(statement);
        var result = new MaterializedResult();
        evaluator.Initialize(store.EvaluateLiveQuery(statement), result);
        var random = new Random(size);
        var keyed = new List<double>();
        for (var i = 0; i < changes; i++)
        {
            // Rows of region r7 half of the time, so the filtered query sees changes too.
            var id = random.Next(size / Regions) * Regions + (i % 2 == 0 ? 7 : random.Next(Regions));
            var written = store.Execute([new Statement("UPDATE items SET score = score + 1 WHERE id = ?", [SqlValue.FromInteger(Math.Min(id, size - 1))])]);
            var started = Stopwatch.GetTimestamp();
            evaluator.Note(written.Changesets.SelectMany(c => c.Changes));
            var work = evaluator.Take(result);
            var outcome = store.ReadLiveQueries(reader => LiveQueryEvaluator.Run(work, reader));
            evaluator.Complete(outcome, result);
            keyed.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        // A full re-run and diff, as every change cost before: fewer samples on big tables.
        var full = new List<double>();
        var fullRuns = size >= 1_000_000 ? 3 : size >= 100_000 ? 5 : 20;
        var baseline = new MaterializedResult();
        var first = store.EvaluateLiveQuery(statement);
        baseline.Apply(first.Rows, RowIdentity.KeyColumns(first.Columns, first.Tables), numberChanges: false);
        for (var i = 0; i < fullRuns; i++)
        {
            store.Execute([new Statement("UPDATE items SET score = score + 1 WHERE id = ?", [SqlValue.FromInteger(random.Next(size))])]);
            var started = Stopwatch.GetTimestamp();
            var now = store.EvaluateLiveQuery(statement);
            baseline.Apply(now.Rows, RowIdentity.KeyColumns(now.Columns, now.Tables));
            full.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return (result.Count, keyed, full, evaluator.Plan.Strategy);
    }

    private static double Percentile(List<double> samples, double p)
    {
        var sorted = samples.Order().ToList();
        return Percentiles.Of(sorted, p);
    }
}
