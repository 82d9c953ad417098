using System.Diagnostics;
using Corrosion.Agent.Storage;
using SQLitePCL;

namespace Corrosion.Bench;

/// <summary>
/// `store` suite: CRDT write overhead (CRR table through the store vs the same table in plain SQLite,
/// same pragmas and batch sizes) and merge throughput (remote column-changes applied per second).
/// </summary>
internal static class StoreBench
{
    private const string TableSql = "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT, region TEXT, score INTEGER)";
    private const string InsertSql = "INSERT INTO items (id, name, region, score) VALUES (?, ?, ?, ?)";

    /// <param name="output">Where the markdown goes.</param>
    /// <param name="rows">Rows per run at 10 and 100 rows per transaction (a quarter at 1).</param>
    /// <param name="cpu">
    /// Also report the process's CPU time per transaction (least of the 3 runs) and the CPU ratio: on a shared machine
    /// wall time measures the neighbours, CPU time mostly this process's own work.
    /// </param>
    /// <param name="only">Measure only this many rows per transaction, and no merge (to profile one case).</param>
    public static void Run(TextWriter output, int rows, bool cpu = false, int? only = null)
    {
        Batteries_V2.Init();
        output.WriteLine($"## store: CRDT write overhead ({rows} rows per run, WAL, synchronous=NORMAL)");
        output.WriteLine();
        output.WriteLine(cpu
            ? "| rows per transaction | plain SQLite rows/s | CRR rows/s | overhead | plain CPU µs/tx | CRR CPU µs/tx | CPU overhead | plain / CRR bytes allocated per tx |"
            : "| rows per transaction | plain SQLite rows/s | CRR rows/s | overhead |");
        output.WriteLine(cpu ? "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" : "| ---: | ---: | ---: | ---: |");
        foreach (var batch in only is { } one ? new[] { one } : new[] { 1, 10, 100 })
        {
            var count = batch == 1 ? rows / 4 : rows;
            var transactions = count / batch;
            var plain = Best(3, () => PlainInsert(count, batch));
            var crr = Best(3, () => CrrInsert(count, batch));
            var line = FormattableString.Invariant($"| {batch} | {plain.RowsPerSecond:N0} | {crr.RowsPerSecond:N0} | {plain.RowsPerSecond / crr.RowsPerSecond:F2}x |");
            if (cpu)
            {
                var (plainCpu, crrCpu) = (plain.CpuSeconds * 1e6 / transactions, crr.CpuSeconds * 1e6 / transactions);
                line += FormattableString.Invariant($" {plainCpu:F1} | {crrCpu:F1} | {crrCpu / plainCpu:F2}x | {plain.AllocatedBytes / transactions:N0} / {crr.AllocatedBytes / transactions:N0} |");
            }

            output.WriteLine(line);
        }

        if (only is not null)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine("## store: merge throughput");
        output.WriteLine();
        var (changes, first, best) = Merge(rows, rowsPerVersion: 100, changesetsPerBatch: 50, runs: 3);
        output.WriteLine(FormattableString.Invariant($"- {changes:N0} column-changes (versions of 100 rows x 3 columns + sentinels, batches of 50 changesets), best of 3 runs into a fresh store each, as the write figures: **{changes / best:N0} changes/s** ({best:F2} s; the first run, whose code partly runs before the JIT's tier-1: {changes / first:N0} changes/s)"));
        output.WriteLine();
    }

    /// <summary>One run: rows per second of wall time, and the process's CPU time over the same interval.</summary>
    private readonly record struct Timing(double RowsPerSecond, double CpuSeconds, long AllocatedBytes = 0);

    /// <summary>The best of <paramref name="runs"/> runs: the highest rate, and (separately) the least CPU time.</summary>
    private static Timing Best(int runs, Func<Timing> measure)
    {
        var best = new Timing(0, double.MaxValue, long.MaxValue);
        for (var i = 0; i < runs; i++)
        {
            var run = measure();
            best = new Timing(Math.Max(best.RowsPerSecond, run.RowsPerSecond), Math.Min(best.CpuSeconds, run.CpuSeconds), Math.Min(best.AllocatedBytes, run.AllocatedBytes));
        }

        return best;
    }

    /// <summary>Wall and process CPU time from now until <see cref="Stop"/>.</summary>
    private readonly struct Measurement
    {
        private readonly long _started;
        private readonly TimeSpan _cpu;
        private readonly long _allocated;

        private Measurement(long started, TimeSpan cpu, long allocated) => (_started, _cpu, _allocated) = (started, cpu, allocated);

        public static Measurement Start() => new(Stopwatch.GetTimestamp(), Process.GetCurrentProcess().TotalProcessorTime, GC.GetAllocatedBytesForCurrentThread());

        public Timing Stop(int rows)
        {
            var wall = Stopwatch.GetElapsedTime(_started).TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalSeconds;
            return new Timing(rows / wall, cpu, GC.GetAllocatedBytesForCurrentThread() - _allocated);
        }
    }

    // The baseline uses SQLite's C API directly (prepared once, bind, step, reset), as the store does,
    // so the ratio measures the CRR machinery and not ADO.NET.
    private static Timing PlainInsert(int rows, int batch)
    {
        using var dir = new BenchDirectory();
        raw.sqlite3_open(dir.File("plain.db"), out var db);
        using (db)
        {
            Check(db, raw.sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; " + TableSql));
            Check(db, raw.sqlite3_prepare_v2(db, InsertSql, out var insert));
            using (insert)
            {
                var watch = Measurement.Start();
                for (var start = 0; start < rows; start += batch)
                {
                    Check(db, raw.sqlite3_exec(db, "BEGIN"));
                    for (var i = start; i < start + batch; i++)
                    {
                        raw.sqlite3_bind_int64(insert, 1, i);
                        raw.sqlite3_bind_text(insert, 2, $"name-{i}");
                        raw.sqlite3_bind_text(insert, 3, "ams");
                        raw.sqlite3_bind_int64(insert, 4, (long)i * 7);
                        if (raw.sqlite3_step(insert) != raw.SQLITE_DONE)
                        {
                            throw new InvalidOperationException(raw.sqlite3_errmsg(db).utf8_to_string());
                        }

                        raw.sqlite3_reset(insert);
                    }

                    Check(db, raw.sqlite3_exec(db, "COMMIT"));
                }

                return watch.Stop(rows);
            }
        }
    }

    private static void Check(sqlite3 db, int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new InvalidOperationException(raw.sqlite3_errmsg(db).utf8_to_string());
        }
    }

    private static Timing CrrInsert(int rows, int batch)
    {
        using var dir = new BenchDirectory();
        using var store = OpenStore(dir, "crr.db");
        var watch = Measurement.Start();
        for (var start = 0; start < rows; start += batch)
        {
            var statements = new List<Statement>(batch);
            for (var i = start; i < start + batch; i++)
            {
                statements.Add(new Statement(InsertSql, [SqlValue.FromInteger(i), SqlValue.FromText($"name-{i}"), SqlValue.FromText("ams"), SqlValue.FromInteger((long)i * 7)]));
            }

            store.Execute(statements);
        }

        return watch.Stop(rows);
    }

    private static (long Changes, double FirstSeconds, double BestSeconds) Merge(int rows, int rowsPerVersion, int changesetsPerBatch, int runs)
    {
        using var dir = new BenchDirectory();
        var changesets = new List<Changeset>();
        using (var source = OpenStore(dir, "source.db"))
        {
            for (var start = 0; start < rows; start += rowsPerVersion)
            {
                var statements = Enumerable.Range(start, rowsPerVersion)
                    .Select(i => new Statement(InsertSql, [SqlValue.FromInteger(i), SqlValue.FromText($"name-{i}"), SqlValue.FromText("ams"), SqlValue.FromInteger(i)]))
                    .ToList();
                changesets.AddRange(source.Execute(statements).Changesets);
            }
        }

        var changes = changesets.OfType<ChangesetFull>().Sum(c => (long)c.Changes.Count);
        var first = 0.0;
        var best = double.MaxValue;
        for (var run = 0; run < runs; run++)
        {
            using var target = OpenStore(dir, $"target{run}.db");
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < changesets.Count; i += changesetsPerBatch)
            {
                target.Apply(changesets.GetRange(i, Math.Min(changesetsPerBatch, changesets.Count - i)));
            }

            var seconds = watch.Elapsed.TotalSeconds;
            first = run == 0 ? seconds : first;
            best = Math.Min(best, seconds);
        }

        return (changes, first, best);
    }

    private static CrdtStore OpenStore(BenchDirectory dir, string name)
    {
        var schema = dir.File(name + ".schema.sql");
        File.WriteAllText(schema, TableSql + ";");
        // Checkpoints inside the committing write, as the plain SQLite side does (SQLite's automatic checkpoint): the
        // node's default (db.checkpoint_pages, a connection of its own) would move that work out of the measured commits
        // of one side only.
        return CrdtStore.Open(new StoreOptions(dir.File(name), [schema], CheckpointPages: 0));
    }

}
