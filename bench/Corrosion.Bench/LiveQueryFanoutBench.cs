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
/// result holds the row updates it in place without reading; or, as the actor does since session 7,
/// through the index of which rows the queries' results hold (<see cref="LiveQueryIndex"/>), so only
/// that one is visited at all (these are queries of their own, seeing every fifth write).
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

        // The same queries again, for the indexed way alone.
        var index = new LiveQueryIndex();
        var indexed = Enumerable.Range(0, subscriptions).Select(r =>
        {
            var statement = new Statement("SELECT id, updated_at FROM machines WHERE region = ?", [SqlValue.FromText(FormattableString.Invariant($"r{r}"))]);
            var id = FormattableString.Invariant($"q{r}");
            var subscription = new LiveSubscription(id, statement, id, [], new MaterializedResult(), prunedThrough: 0);
            index.Add(subscription);
            var first = store.EvaluateLiveQuery(statement);
            subscription.Evaluator.Initialize(first, subscription.Result);
            subscription.Tables = new HashSet<string>(first.Tables.Keys, StringComparer.OrdinalIgnoreCase);
            return subscription;
        }).ToList();

        var commit = new List<double>();
        var throughIndex = new List<double>();
        var oneByOne = new List<double>();
        var batched = new List<double>();
        var byColumns = new List<double>();
        var inPlace = new List<double>();
        for (var i = 0; i < writes; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var written = store.Execute([new Statement("UPDATE machines SET updated_at = ? WHERE id = ?", [SqlValue.FromInteger(i + 1), SqlValue.FromText(FormattableString.Invariant($"m-{i % Rows}"))])]);
            commit.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);

            // Alternate the five ways, so all see the same machine state over the run.
            var way = i % 5;
            started = Stopwatch.GetTimestamp();
            var changes = written.Changesets.SelectMany(c => c.Changes).ToList();
            var evaluating = new List<(LiveQueryEvaluator Evaluator, MaterializedResult Result)>(live.Count);
            var events = 0;
            if (way == 4)
            {
                // As the subscription actor notes a local commit now: only the queries the index names.
                var rows = ChangedRows.Of(changes, store.ChangeableColumns);
                foreach (var subscription in index.Candidates(rows))
                {
                    if (subscription.Evaluator.NoteInPlace(rows, subscription.Result) is { } delta)
                    {
                        events += delta.Changes.Count;
                    }

                    if (subscription.Evaluator.HasPending)
                    {
                        evaluating.Add((subscription.Evaluator, subscription.Result));
                    }

                    index.Settle(subscription);
                }
            }
            else if (way == 3)
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
                        evaluating.Add(live[s]);
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
                        evaluating.Add(live[s]);
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
                    evaluating.Add(live[s]);
                }
            }

            var works = evaluating.Select(e => e.Evaluator.Take(e.Result)).ToList();
            var outcomes = way == 0
                ? works.Select(w => store.ReadLiveQueries(reader => LiveQueryEvaluator.Run(w, reader))).ToList()
                : store.ReadLiveQueries(reader => works.Select(w => LiveQueryEvaluator.Run(w, reader)).ToList());
            for (var k = 0; k < evaluating.Count; k++)
            {
                var (evaluator, result) = evaluating[k];
                events += evaluator.Complete(outcomes[k], result).Changes.Count;
            }

            if (events != 1)
            {
                throw new InvalidOperationException($"write {i}: {events} events, expected 1");
            }

            (way switch { 0 => oneByOne, 1 => batched, 2 => byColumns, 3 => inPlace, _ => throughIndex }).Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        output.WriteLine(FormattableString.Invariant($"## subscriptions-fanout: {subscriptions} live queries on one table, one-row updates ({writes} writes, store level)"));
        output.WriteLine();
        output.WriteLine("| per write | p50 | p99 | mean |");
        output.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var (label, samples) in new[] { ("commit (Execute)", commit), ($"evaluate {subscriptions}, one by one", oneByOne), ($"evaluate {subscriptions}, one snapshot", batched), ("note changed columns, evaluate those the row can affect, one snapshot", byColumns), ("note changed columns and values, update rows in place (no read)", inPlace), ("same, only the queries the index names (LiveQueryIndex)", throughIndex) })
        {
            var sorted = samples.Order().ToList();
            output.WriteLine(FormattableString.Invariant($"| {label} | {Percentiles.Of(sorted, 50):F3} ms | {Percentiles.Of(sorted, 99):F3} ms | {samples.Average():F3} ms |"));
        }

        output.WriteLine();
    }
}
