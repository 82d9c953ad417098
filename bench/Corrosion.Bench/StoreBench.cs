using System.Diagnostics;
using System.Runtime.InteropServices;
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
    /// <param name="synchronous">PRAGMA synchronous of both sides (the node's default: NORMAL).</param>
    public static void Run(TextWriter output, int rows, bool cpu = false, int? only = null, string synchronous = StoreOptions.DefaultSynchronous)
    {
        Batteries_V2.Init();
        output.WriteLine($"## store: CRDT write overhead ({rows} rows per run, WAL, synchronous={synchronous}, in {Path.GetTempPath()})");
        output.WriteLine();
        output.WriteLine(cpu
            ? "| rows per transaction | plain SQLite rows/s | CRR rows/s | overhead | plain CPU µs/tx | CRR CPU µs/tx | CPU overhead | plain / CRR bytes allocated per tx |"
            : "| rows per transaction | plain SQLite rows/s | CRR rows/s | overhead |");
        output.WriteLine(cpu ? "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" : "| ---: | ---: | ---: | ---: |");
        foreach (var batch in only is { } one ? new[] { one } : new[] { 1, 10, 100 })
        {
            var count = batch == 1 ? rows / 4 : rows;
            var transactions = count / batch;
            var plain = Best(3, () => PlainInsert(count, batch, synchronous));
            var crr = Best(3, () => CrrInsert(count, batch, synchronous));
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
    private static Timing PlainInsert(int rows, int batch, string synchronous)
    {
        using var dir = new BenchDirectory();
        raw.sqlite3_open(dir.File("plain.db"), out var db);
        using (db)
        {
            Check(db, raw.sqlite3_exec(db, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous}; " + TableSql));
            Check(db, raw.sqlite3_prepare_v2(db, InsertSql, out var insert));
            using (insert)
            {
                var watch = Measurement.Start();
                for (var start = 0; start < rows; start += batch)
                {
                    PlainTransaction(db, insert, start, batch);
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

    private static Timing CrrInsert(int rows, int batch, string synchronous)
    {
        using var dir = new BenchDirectory();
        using var store = OpenStore(dir, "crr.db", synchronous);
        var watch = Measurement.Start();
        for (var start = 0; start < rows; start += batch)
        {
            CrrTransaction(store, start, batch);
        }

        return watch.Stop(rows);
    }

    /// <summary>One plain transaction inserting <paramref name="batch"/> rows, ids from <paramref name="first"/> on.</summary>
    private static void PlainTransaction(sqlite3 db, sqlite3_stmt insert, int first, int batch)
    {
        Check(db, raw.sqlite3_exec(db, "BEGIN"));
        for (var i = first; i < first + batch; i++)
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

    /// <summary>The same rows as <see cref="PlainTransaction"/>, as one transaction of the store.</summary>
    private static void CrrTransaction(CrdtStore store, int first, int batch)
    {
        var statements = new List<Statement>(batch);
        for (var i = first; i < first + batch; i++)
        {
            statements.Add(new Statement(InsertSql, [SqlValue.FromInteger(i), SqlValue.FromText($"name-{i}"), SqlValue.FromText("ams"), SqlValue.FromInteger((long)i * 7)]));
        }

        store.Execute(statements);
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

    private static CrdtStore OpenStore(BenchDirectory dir, string name, string synchronous = StoreOptions.DefaultSynchronous, string schemaSql = TableSql)
    {
        var schema = dir.File(name + ".schema.sql");
        File.WriteAllText(schema, schemaSql + ";");
        // Checkpoints inside the committing write, as the plain SQLite side does (SQLite's automatic checkpoint): the
        // node's default (db.checkpoint_pages, a connection of its own) would move that work out of the measured commits
        // of one side only.
        return CrdtStore.Open(new StoreOptions(dir.File(name), [schema], synchronous, CheckpointPages: 0));
    }

    /// <summary>
    /// `store --blocks N`: the CRR overhead measured as bench/crsqlite/overhead.mjs measures cr-sqlite's, in one process:
    /// per rows-per-transaction size, one plain database and one store, written in alternating blocks of 2000 / 300 / 40
    /// transactions of 1 / 10 / 100 rows (which side goes first alternates too), the ids continuing from block to block;
    /// each block's CPU time is the writing thread's (getrusage RUSAGE_THREAD: no JIT, tiering or background GC threads);
    /// the figure is the median, over the blocks after the first 20 % (warm-up), of the per-block CRR/plain ratios.
    /// </summary>
    public static void RunBlocks(TextWriter output, int blocks, string synchronous = StoreOptions.DefaultSynchronous)
    {
        Batteries_V2.Init();
        var warmup = blocks / 5;
        output.WriteLine($"## store: CRDT write overhead, {blocks} alternating blocks (median after the first {warmup}), WAL, synchronous={synchronous}, in {Path.GetTempPath()}");
        output.WriteLine();
        output.WriteLine("| rows per transaction | plain CPU µs/tx | CRR CPU µs/tx | CPU overhead (median of block ratios) | wall overhead |");
        output.WriteLine("| ---: | ---: | ---: | ---: | ---: |");
        foreach (var (batch, transactions) in new[] { (1, 2000), (10, 300), (100, 40) })
        {
            using var dir = new BenchDirectory();
            raw.sqlite3_open(dir.File("plain.db"), out var db);
            using (db)
            using (var store = OpenStore(dir, "crr.db", synchronous))
            {
                Check(db, raw.sqlite3_exec(db, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous}; " + TableSql));
                Check(db, raw.sqlite3_prepare_v2(db, InsertSql, out var insert));
                using (insert)
                {
                    var (plainNext, crrNext) = (0, 0);
                    var results = new List<(BlockTiming Plain, BlockTiming Crr)>();
                    for (var b = 0; b < blocks; b++)
                    {
                        BlockTiming plain, crr;
                        if (b % 2 == 0)
                        {
                            plain = PlainBlock(db, insert, ref plainNext, batch, transactions);
                            crr = CrrBlock(store, ref crrNext, batch, transactions);
                        }
                        else
                        {
                            crr = CrrBlock(store, ref crrNext, batch, transactions);
                            plain = PlainBlock(db, insert, ref plainNext, batch, transactions);
                        }

                        results.Add((plain, crr));
                    }

                    var kept = results.Skip(warmup).ToList();
                    output.WriteLine(FormattableString.Invariant(
                        $"| {batch} | {Median(kept.Select(r => r.Plain.CpuMicros))} | {Median(kept.Select(r => r.Crr.CpuMicros))} | **{Median(kept.Select(r => r.Crr.CpuMicros / r.Plain.CpuMicros)):F2}x** | {Median(kept.Select(r => r.Crr.WallMicros / r.Plain.WallMicros)):F2}x |"));
                }
            }
        }

        output.WriteLine();
    }

    /// <summary>One block's CPU (the writing thread's) and wall time per transaction, µs.</summary>
    private readonly record struct BlockTiming(double CpuMicros, double WallMicros);

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return Math.Round(sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2, 2);
    }

    private static BlockTiming PlainBlock(sqlite3 db, sqlite3_stmt insert, ref int next, int batch, int transactions)
    {
        var (cpu, wall) = (ThreadCpuMicros(), Stopwatch.GetTimestamp());
        for (var t = 0; t < transactions; t++, next += batch)
        {
            PlainTransaction(db, insert, next, batch);
        }

        return new BlockTiming((ThreadCpuMicros() - cpu) / transactions, Stopwatch.GetElapsedTime(wall).TotalMicroseconds / transactions);
    }

    private static BlockTiming CrrBlock(CrdtStore store, ref int next, int batch, int transactions)
    {
        var (cpu, wall) = (ThreadCpuMicros(), Stopwatch.GetTimestamp());
        for (var t = 0; t < transactions; t++, next += batch)
        {
            CrrTransaction(store, next, batch);
        }

        return new BlockTiming((ThreadCpuMicros() - cpu) / transactions, Stopwatch.GetElapsedTime(wall).TotalMicroseconds / transactions);
    }

    /// <summary>This thread's user + system CPU time, µs (Linux).</summary>
    private static double ThreadCpuMicros()
    {
        if (GetRusage(RusageThread, out var usage) != 0)
        {
            throw new InvalidOperationException($"getrusage failed: {Marshal.GetLastPInvokeError()}");
        }

        return (usage.UserSeconds + usage.SystemSeconds) * 1e6 + usage.UserMicros + usage.SystemMicros;
    }

    private const int RusageThread = 1;

    // struct rusage (x86-64 / arm64 Linux): the two timevals, then 14 longs this bench does not read.
    [StructLayout(LayoutKind.Sequential, Size = 144)]
    private struct RUsage
    {
        public long UserSeconds;
        public long UserMicros;
        public long SystemSeconds;
        public long SystemMicros;
    }

    [DllImport("libc", EntryPoint = "getrusage", SetLastError = true)]
    private static extern int GetRusage(int who, out RUsage usage);

    /// <summary>
    /// `store-alloc [transactions]`: bytes the store allocates per transaction (GC.GetAllocatedBytesForCurrentThread around
    /// <paramref name="transactions"/> calls of Execute, after as many to warm up; the statements are built before), with
    /// no timeout and with the API's default (30 s: api.default_timeout), for single-row writes on the store's three
    /// local write paths: an insert into an integer-keyed table (its clock rows batched), an insert into a text-keyed
    /// table (its clock statements per row and the row read back, as the HTTP bench's machines), an update.
    /// </summary>
    public static void RunAllocations(TextWriter output, int transactions)
    {
        Batteries_V2.Init();
        var timeout = TimeSpan.FromSeconds(30);
        output.WriteLine($"## store: bytes allocated per transaction ({transactions} single-row transactions, after as many to warm up)");
        output.WriteLine();
        output.WriteLine("| write | no timeout | 30 s timeout |");
        output.WriteLine("| --- | ---: | ---: |");
        const string TextKeyed = "CREATE TABLE named (id TEXT NOT NULL PRIMARY KEY, name TEXT, region TEXT, score INTEGER)";
        var cases = new (string Name, string Schema, Func<int, Statement> Write, Func<int, Statement>? Setup)[]
        {
            ("insert, integer key (items)", TableSql, i => new Statement(InsertSql, [SqlValue.FromInteger(i), SqlValue.FromText($"name-{i}"), SqlValue.FromText("ams"), SqlValue.FromInteger(i)]), null),
            ("insert, text key (named)", TextKeyed, i => new Statement("INSERT INTO named (id, name, region, score) VALUES (?, ?, ?, ?)", [SqlValue.FromText($"key-{i}"), SqlValue.FromText($"name-{i}"), SqlValue.FromText("ams"), SqlValue.FromInteger(i)]), null),
            ("update of one column (items)", TableSql, i => new Statement("UPDATE items SET score = ? WHERE id = ?", [SqlValue.FromInteger(i + 1), SqlValue.FromInteger(i % 1000)]), i => new Statement(InsertSql, [SqlValue.FromInteger(i), SqlValue.FromText($"name-{i}"), SqlValue.FromText("ams"), SqlValue.FromInteger(0)])),
        };
        foreach (var (name, schema, write, setup) in cases)
        {
            var line = $"| {name} |";
            foreach (var limit in new TimeSpan?[] { null, timeout })
            {
                using var dir = new BenchDirectory();
                using var store = OpenStore(dir, "alloc.db", schemaSql: schema);
                for (var i = 0; setup is not null && i < 1000; i++)
                {
                    store.Execute([setup(i)]);
                }

                // The same keys and values in both columns (a fresh store each): the values read back are the same size.
                var warm = Enumerable.Range(0, transactions).Select(i => (IReadOnlyList<Statement>)[write(i)]).ToList();
                var measured = Enumerable.Range(transactions, transactions).Select(i => (IReadOnlyList<Statement>)[write(i)]).ToList();
                foreach (var statements in warm)
                {
                    store.Execute(statements, limit);
                }

                var before = GC.GetAllocatedBytesForCurrentThread();
                foreach (var statements in measured)
                {
                    store.Execute(statements, limit);
                }

                line += FormattableString.Invariant($" {(GC.GetAllocatedBytesForCurrentThread() - before) / (double)transactions:N0} |");
            }

            output.WriteLine(line);
        }

        output.WriteLine();
        // What the timeout costs in CPU: two stores of the text-keyed table, one written with the timeout and one
        // without, in alternating blocks of 1000 single-row inserts (the first goes first in even blocks), the writing
        // thread's CPU; the median over 30 blocks (after 6) of the per-block difference.
        using (var dir = new BenchDirectory())
        using (var plain = OpenStore(dir, "none.db", schemaSql: TextKeyed))
        using (var timed = OpenStore(dir, "timed.db", schemaSql: TextKeyed))
        {
            var next = 0;
            double Block(CrdtStore store, TimeSpan? limit)
            {
                var statements = Enumerable.Range(next, 1000).Select(i => (IReadOnlyList<Statement>)[cases[1].Write(i)]).ToList();
                var cpu = ThreadCpuMicros();
                foreach (var tx in statements)
                {
                    store.Execute(tx, limit);
                }

                return (ThreadCpuMicros() - cpu) / statements.Count;
            }

            var differences = new List<double>();
            var (none, with) = (new List<double>(), new List<double>());
            for (var b = 0; b < 30; b++, next += 1000)
            {
                var (n, w) = b % 2 == 0 ? (Block(plain, null), Block(timed, timeout)) : (0.0, Block(timed, timeout));
                n = b % 2 == 0 ? n : Block(plain, null);
                if (b >= 6)
                {
                    differences.Add(w - n);
                    none.Add(n);
                    with.Add(w);
                }
            }

            output.WriteLine(FormattableString.Invariant($"Text-keyed single-row insert, CPU per transaction (writing thread, median of 24 alternating blocks of 1000): no timeout {Median(none)} µs, 30 s timeout {Median(with)} µs, **the timeout's cost {Median(differences)} µs** (median of per-block differences)"));
            output.WriteLine();
        }
    }
}
