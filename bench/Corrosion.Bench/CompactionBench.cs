using System.Diagnostics;
using System.Globalization;
using System.Text;
using Corrosion.Agent.Storage;
using Corrosion.Bench.Replication;
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

    /// <summary>
    /// `compaction-idle` suite: the CPU a `corrosion agent` spends on compaction with a large database of live versions (one
    /// row inserted per version, none overwritten) — idle, or with one overwriting write every few seconds. The database
    /// is built in-process once (and closed cleanly: with this build's store, its compaction candidates are saved, none
    /// here), then each run starts an agent (<c>--cli</c>: any build's) on a copy of it. With <c>--from-before</c> the
    /// saved candidates are removed (a database from before them, or from a process that did not close cleanly).
    /// Arguments: [versions = 200000] [seconds = 60] --cli path [--settle seconds = 10] [--write-every seconds = 0: idle]
    /// [--from-before] [--runs N = 1].
    /// </summary>
    public static int RunIdle(string[] args)
    {
        int Option(string name, int fallback)
        {
            var at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
        }

        var positional = args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        var versions = positional.Length > 0 ? int.Parse(positional[0], CultureInfo.InvariantCulture) : 200_000;
        var seconds = positional.Length > 1 ? int.Parse(positional[1], CultureInfo.InvariantCulture) : 60;
        var cliAt = Array.IndexOf(args, "--cli");
        var cli = cliAt >= 0 && cliAt + 1 < args.Length ? Path.GetFullPath(args[cliAt + 1]) : AgentProcess.DefaultCli();
        var settle = Option("--settle", 10);
        var writeEvery = Option("--write-every", 0);
        var runs = Option("--runs", 1);
        var fromBefore = args.Contains("--from-before");

        using var dir = new BenchDirectory();
        var schema = dir.File("schema.sql");
        File.WriteAllText(schema, Schema);
        var template = dir.File("template.db");
        var build = Stopwatch.StartNew();
        using (var store = CrdtStore.Open(new StoreOptions(template, [schema]) { CompactionInterval = TimeSpan.Zero }))
        {
            var insert = "INSERT INTO items (id, name) VALUES (?1, 'r')";
            for (var id = 1; id <= versions; id++)
            {
                store.Execute([new Statement(insert, [SqlValue.FromObject((long)id)])]);
            }
        }

        using (var connection = new SqliteConnection($"Data Source={template};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)" + (fromBefore ? "; DELETE FROM __corro_meta WHERE key = 'compaction_candidates'; DROP TABLE IF EXISTS __corro_compaction_candidates" : "");
            command.ExecuteNonQuery();
        }

        Console.WriteLine(FormattableString.Invariant($"## compaction-idle: one `corrosion agent` ({cli}) on a database of {versions:N0} live versions (one row each, built in {build.Elapsed.TotalSeconds:F1} s{(fromBefore ? ", saved candidates removed" : "")}), {(writeEvery > 0 ? $"one overwriting write every {writeEvery} s" : "idle")}, {seconds} s window after {settle} s"));
        Console.WriteLine();
        for (var run = 0; run < runs; run++)
        {
            var db = dir.File($"node{run}.db");
            File.Copy(template, db, overwrite: true);
            var config = dir.File($"node{run}.conf");
            File.WriteAllText(config, $"""
                db.path = "{db}"
                db.schema_paths = ["{schema}"]
                api.addr = "127.0.0.1:0"
                gossip.addr = "127.0.0.1:0"
                """);
            var line = RunIdleOne(cli, config, dir.Path, seconds, settle, writeEvery).GetAwaiter().GetResult();
            Console.WriteLine(line);
        }

        Console.WriteLine();
        return 0;
    }

    private static async Task<string> RunIdleOne(string cli, string config, string workingDirectory, int seconds, int settle, int writeEvery)
    {
        await using var agent = AgentProcess.Start(cli, config, workingDirectory);
        var api = await agent.Listening.WaitAsync(TimeSpan.FromSeconds(120));
        await Task.Delay(TimeSpan.FromSeconds(settle));
        using var http = new HttpClient { BaseAddress = api };
        var pid = agent.Process.Id;
        var before = CpuTicks(pid);
        var clock = Stopwatch.StartNew();
        var writes = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            var left = TimeSpan.FromSeconds(seconds) - clock.Elapsed;
            if (writeEvery <= 0)
            {
                await Task.Delay(left);
                break;
            }

            // Overwrites row 1's name: its previous version (one of the database's) loses its only cell.
            using var content = new StringContent($$"""[["UPDATE items SET name = ? WHERE id = 1", ["w{{writes}}"]]]""", Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(new Uri("v1/transactions", UriKind.Relative), content);
            response.EnsureSuccessStatusCode();
            writes++;
            await Task.Delay(left < TimeSpan.FromSeconds(writeEvery) ? left : TimeSpan.FromSeconds(writeEvery));
        }

        var elapsed = clock.Elapsed.TotalSeconds;
        var cpu = (CpuTicks(pid) - before) / 100.0;
        return FormattableString.Invariant($"- CPU {cpu / elapsed * 100:0.00} % of one core ({cpu:0.00} s in {elapsed:0} s), {writes} writes; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    }

    // utime + stime of the process, in clock ticks (USER_HZ: 100).
    private static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
