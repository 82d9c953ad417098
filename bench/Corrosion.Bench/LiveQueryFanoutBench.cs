using System.Diagnostics;
using System.Globalization;
using Corrosion.Agent.Storage;
using Corrosion.Agent.Subscriptions;

namespace Corrosion.Bench;

/// <summary>
/// `subscriptions-fanout` suite: what one write costs N live queries on the same table, at the store
/// level (no actor, no HTTP), so the evaluation's own CPU is seen apart from the writers'. Each
/// subscription reads its own region of 1,000 rows (as the `subscriptions` suite's), each write
/// updates one row; per write the changed keys go to every subscription and all of them evaluate by
/// key, either one by one (each its own read transaction: how every evaluation ran before batching)
/// or together on one snapshot (a batch of the subscription actor); or, as the subscription actor
/// notes a local commit now, with the changed columns, so the subscriptions whose region the row is
/// not in leave it out (only the result column updated_at changed) and only the others evaluate; or,
/// as the actor does for subscriptions with listeners, with the changed values too, so the one whose
/// result holds the row updates it in place without reading.
/// Reports the time per write of the commit and of each way of evaluating.
/// </summary>
internal static class LiveQueryFanoutBench
{
    private const int Rows = 1_000;

    public static int Run(string[] args)
    {
        var subscriptions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
        var writes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2_000;
        RunAll(Console.Out, subscriptions, writes);
        return 0;
    }

    public static void RunAll(TextWriter output, int subscriptions, int writes)
    {
        using var dir = new BenchDirectory();
        var schema = dir.File("schema.sql");
        File.WriteAllText(schema, "CREATE TABLE machines (id TEXT NOT NULL PRIMARY KEY, region TEXT, updated_at INTEGER DEFAULT 0 NOT NULL);");
        using var store = CrdtStore.Open(new StoreOptions(dir.File("fanout.db"), [schema], ReadPoolSize: 2));
        store.Execute([new Statement(FormattableString.Invariant(
            $"INSERT INTO machines (id, region) WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {Rows - 1}) SELECT 'm-' || i, 'r' || (i % {subscriptions}) FROM n"))]);
        var live = Enumerable.Range(0, subscriptions).Select(r =>
        {
            var statement = new Statement("SELECT id, updated_at FROM machines WHERE region = ?", [SqlValue.FromText(FormattableString.Invariant($"r{r}"))]);
            var evaluator = new LiveQueryEvaluator(statement);
            var result = new MaterializedResult();
            evaluator.Initialize(store.EvaluateLiveQuery(statement), result);
            return (Evaluator: evaluator, Result: result);
        }).ToList();

        var commit = new List<double>();
        var oneByOne = new List<double>();
        var batched = new List<double>();
        var byColumns = new List<double>();
        var inPlace = new List<double>();
        for (var i = 0; i < writes; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var written = store.Execute([new Statement("UPDATE machines SET updated_at = ? WHERE id = ?", [SqlValue.FromInteger(i + 1), SqlValue.FromText(FormattableString.Invariant($"m-{i % Rows}"))])]);
            commit.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);

            // Alternate the four ways, so all see the same machine state over the run.
            var way = i % 4;
            started = Stopwatch.GetTimestamp();
            var changes = written.Changesets.SelectMany(c => c.Changes).ToList();
            var evaluating = new List<int>(live.Count);
            var events = 0;
            if (way == 3)
            {
                // As the subscription actor notes a local commit for subscriptions with listeners: the
                // row in a result is updated from the commit's values, nothing is read.
                var rows = ChangedRows.Of(changes, store.ChangeableColumns);
                for (var s = 0; s < live.Count; s++)
                {
                    if (live[s].Evaluator.NoteInPlace(rows, live[s].Result) is { } delta)
                    {
                        events += delta.Changes.Count;
                    }

                    if (live[s].Evaluator.HasPending)
                    {
                        evaluating.Add(s);
                    }
                }
            }
            else if (way == 2)
            {
                var rows = ChangedRows.Of(changes, store.ChangeableColumns);
                for (var s = 0; s < live.Count; s++)
                {
                    live[s].Evaluator.Note(rows, live[s].Result);
                    if (live[s].Evaluator.HasPending)
                    {
                        evaluating.Add(s);
                    }
                }
            }
            else
            {
                var changed = new ChangedKeys(int.MaxValue);
                changed.AddAll(changes, static _ => true);
                for (var s = 0; s < live.Count; s++)
                {
                    live[s].Evaluator.Note(changed);
                    evaluating.Add(s);
                }
            }

            var works = evaluating.Select(s => live[s].Evaluator.Take(live[s].Result)).ToList();
            var outcomes = way == 0
                ? works.Select(w => store.ReadLiveQueries(reader => LiveQueryEvaluator.Run(w, reader))).ToList()
                : store.ReadLiveQueries(reader => works.Select(w => LiveQueryEvaluator.Run(w, reader)).ToList());
            for (var k = 0; k < evaluating.Count; k++)
            {
                var (evaluator, result) = live[evaluating[k]];
                events += evaluator.Complete(outcomes[k], result).Changes.Count;
            }

            if (events != 1)
            {
                throw new InvalidOperationException($"write {i}: {events} events, expected 1");
            }

            (way switch { 0 => oneByOne, 1 => batched, 2 => byColumns, _ => inPlace }).Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        output.WriteLine(FormattableString.Invariant($"## subscriptions-fanout: {subscriptions} live queries on one table, one-row updates ({writes} writes, store level)"));
        output.WriteLine();
        output.WriteLine("| per write | p50 | p99 | mean |");
        output.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var (label, samples) in new[] { ("commit (Execute)", commit), ($"evaluate {subscriptions}, one by one", oneByOne), ($"evaluate {subscriptions}, one snapshot", batched), ("note changed columns, evaluate those the row can affect, one snapshot", byColumns), ("note changed columns and values, update rows in place (no read)", inPlace) })
        {
            var sorted = samples.Order().ToList();
            output.WriteLine(FormattableString.Invariant($"| {label} | {Percentiles.Of(sorted, 50):F3} ms | {Percentiles.Of(sorted, 99):F3} ms | {samples.Average():F3} ms |"));
        }

        output.WriteLine();
    }
}
