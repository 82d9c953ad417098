using System.Diagnostics;
using System.Globalization;
using Corrosion.Agent.Storage;
using Microsoft.Data.Sqlite;

namespace Corrosion.Bench;

/// <summary>
/// `compaction` suite: bookkeeping growth of a store whose writes keep overwriting the same rows, without and with
/// compaction of cleared versions (<see cref="CrdtStore.CompactStep"/>) interleaved as the storage actor runs it
/// (a step of at most <c>db.compaction_batch</c> versions and 5 ms, the next 20 ms later while the pass has more and finds
/// cleared versions, else <c>db.compaction_interval</c> later), and what compaction costs the writer.
/// </summary>
internal static class CompactionBench
{
    private const string Schema = "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT, qty INTEGER NOT NULL DEFAULT 0);";

    /// <param name="output">Where the markdown goes.</param>
    /// <param name="updates">Update transactions (one row each).</param>
    /// <param name="rows">Rows they cycle through.</param>
    public static void Run(TextWriter output, int updates, int rows)
    {
        output.WriteLine(FormattableString.Invariant($"## compaction: {updates:N0} one-row updates of the same {rows} rows (WAL, synchronous=NORMAL)"));
        output.WriteLine();
        output.WriteLine("| compaction | writes/s (wall, compaction included) | CPU µs/write | time in compaction | versions compacted | `__corro_versions` rows | `__corro_version_keys` rows | db pages in use × page size | file size | rows after one more pass (its steps, time) |");
        output.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        // A short warm-up of both paths (JIT), then off and on.
        RunOne(TextWriter.Null, Math.Min(updates, 5_000), rows, compact: true);
        RunOne(output, updates, rows, compact: false);
        RunOne(output, updates, rows, compact: true);
        output.WriteLine();
    }

    private static void RunOne(TextWriter output, int updates, int rows, bool compact)
    {
        using var dir = new BenchDirectory();
        var schema = dir.File("schema.sql");
        File.WriteAllText(schema, Schema);
        var path = dir.File("corrosion.db");
        var options = new StoreOptions(path, [schema]) { CompactionInterval = compact ? StoreOptions.DefaultCompactionInterval : TimeSpan.Zero };
        var interval = options.CompactionInterval;
        var busyPause = StorageActor.CompactionBusyPause;
        long compacted = 0;
        var inCompaction = TimeSpan.Zero;
        var longestStep = TimeSpan.Zero;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        using (var store = CrdtStore.Open(options))
        {
            store.Execute(Enumerable.Range(1, rows).Select(id => new Statement("INSERT INTO items (id, name) VALUES (?1, 'r')", [SqlValue.FromObject((long)id)])).ToList());
            var update = "UPDATE items SET qty = qty + 1, name = ?1 WHERE id = ?2";
            var nextStep = watch.Elapsed + interval;
            for (var i = 0; i < updates; i++)
            {
                store.Execute([new Statement(update, [SqlValue.FromObject("n" + i.ToString(CultureInfo.InvariantCulture)), SqlValue.FromObject((long)(1 + (i % rows)))])]);
                if (compact && watch.Elapsed >= nextStep && store.CompactionPending)
                {
                    var started = watch.Elapsed;
                    var step = store.CompactStep(options.CompactionBatch, CrdtStore.CompactionStepTime);
                    inCompaction += watch.Elapsed - started;
                    longestStep = longestStep > watch.Elapsed - started ? longestStep : watch.Elapsed - started;
                    compacted += step.Compacted;
                    nextStep = watch.Elapsed + (step.More && step.Compacted > 0 ? busyPause : interval);
                }
            }
        }

        var elapsed = watch.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        long Scalar(string sql)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        Scalar("PRAGMA wal_checkpoint(TRUNCATE)");
        var versions = Scalar("SELECT count(*) FROM __corro_versions");
        var keyLists = Scalar("SELECT count(*) FROM __corro_version_keys");
        var pageSize = Scalar("PRAGMA page_size");
        var inUse = (Scalar("PRAGMA page_count") - Scalar("PRAGMA freelist_count")) * pageSize;
        var file = new FileInfo(path).Length;
        connection.Dispose();
        string afterPass;
        using (var again = CrdtStore.Open(options))
        {
            // What is left once compaction has caught up (the timer's next pass), without changing the figures above.
            var pass = Stopwatch.StartNew();
            var (_, steps) = again.CompactAll(options.CompactionBatch, CrdtStore.CompactionStepTime);
            pass.Stop();
            using var left = again.Query(new Statement("SELECT count(*) FROM __corro_versions"));
            afterPass = FormattableString.Invariant($"{left.Rows.Single().Cells[0].AsInteger:N0} ({steps} steps, {pass.Elapsed.TotalSeconds:F2} s)");
        }

        output.WriteLine(FormattableString.Invariant(
            $"| {(compact ? FormattableString.Invariant($"on ({interval.TotalSeconds:0.#} s, {options.CompactionBatch} versions / {CrdtStore.CompactionStepTime.TotalMilliseconds:0.#} ms steps {busyPause.TotalMilliseconds:0.#} ms apart)") : "off")} | {updates / elapsed.TotalSeconds:N0} | {cpu.TotalMilliseconds * 1000 / updates:F1} | {inCompaction.TotalSeconds:F2} s ({inCompaction / elapsed:P1}), longest step {longestStep.TotalMilliseconds:F2} ms | {compacted:N0} | {versions:N0} | {keyLists:N0} | {inUse / 1024.0 / 1024:F2} MiB | {file / 1024.0 / 1024:F2} MiB | {afterPass} |"));
    }
}
