using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Corrosion.Bench.Replication;
using Microsoft.Data.Sqlite;

namespace Corrosion.Bench;

/// <summary>
/// `join` suite: a fresh node catching up with a large database. Agent A (a real <c>corrosion agent</c>
/// process) is loaded with N rows of <c>kv</c> through its HTTP API in transactions of R rows (4 writers); then
/// agent B starts empty with A as its bootstrap and has only anti-entropy sync to get them (broadcast carries
/// only new writes). Printed: the time from B's start until B holds all N rows (its row count polled over HTTP
/// every 200 ms), rows/s, B's and A's CPU and peak RSS during the catch-up, A's write and read latencies (one
/// probe write and one keyed read every 20 ms, before B starts and during the catch-up), whether any count B
/// answered showed part of a transaction, and whether B's content equals A's at the end (SHA-256 of both
/// databases' rows in key order, read from the files).
/// Options: <c>--cli PATH</c> (corrosion.dll or the native executable); <c>--writes ROWS/S</c> keeps writing on
/// A (10-row transactions) during the catch-up, and checks every acknowledged row is on B at the end;
/// <c>--kill-at F</c> kills B (SIGKILL) once it holds F·N rows and restarts it on its database, printing what it
/// had kept; <c>--third</c> starts a third agent C once B is done, joining while the writes go on.
/// </summary>
internal static class JoinBench
{
    private const string LoadedRows = "k >= 'r' AND k < 's'";

    public static int Run(string[] args)
    {
        string? Option(string name) => Array.IndexOf(args, name) is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        var valued = new[] { "--cli", "--writes", "--kill-at" };
        var numbers = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !valued.Contains(args[i - 1])))
            .Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
        var cli = Option("--cli") is { } given ? Path.GetFullPath(given) : AgentProcess.DefaultCli();
        if (!File.Exists(cli))
        {
            Console.Error.WriteLine($"join: {cli} does not exist; build it first or pass --cli");
            return 2;
        }

        var settings = new Settings(
            cli,
            Rows: numbers.Length > 0 ? numbers[0] : 200_000,
            RowsPerTx: numbers.Length > 1 ? numbers[1] : 200,
            WritesPerSecond: Option("--writes") is { } w ? int.Parse(w, CultureInfo.InvariantCulture) : 0,
            KillAt: Option("--kill-at") is { } k ? double.Parse(k, CultureInfo.InvariantCulture) : null,
            Third: args.Contains("--third"));
        return RunAsync(settings).GetAwaiter().GetResult();
    }

    private sealed record Settings(string Cli, int Rows, int RowsPerTx, int WritesPerSecond, double? KillAt, bool Third);

    private static async Task<int> RunAsync(Settings s)
    {
        using var dir = new BenchDirectory();
        var schema = dir.File("schema.sql");
        await File.WriteAllTextAsync(schema, "CREATE TABLE kv (k TEXT NOT NULL PRIMARY KEY, v TEXT);");
        var gossipA = AgentProcess.FreePort();
        string Config(string name, int port, bool join)
        {
            var path = dir.File(name + ".conf");
            File.WriteAllText(path, $"""
                db.path = "{dir.File(name + ".db")}"
                db.schema_paths = ["{schema}"]
                api.addr = "127.0.0.1:0"
                gossip.addr = "127.0.0.1:{port}"
                gossip.plaintext = true
                {(join ? $"membership.bootstrap = [\"127.0.0.1:{gossipA}\"]" : "")}
                """);
            return path;
        }

        var agents = new List<AgentProcess>();
        try
        {
            Console.WriteLine(FormattableString.Invariant(
                $"## join: {s.Rows:N0} rows in transactions of {s.RowsPerTx} on agent A, then agent B starts empty with A as bootstrap ({Path.GetFileName(s.Cli)}; writes during catch-up {s.WritesPerSecond} rows/s{(s.KillAt is { } f ? $"; B killed at {f:P0}" : "")}{(s.Third ? "; a third agent joins after B" : "")})"));
            Console.WriteLine();
            var a = AgentProcess.Start(s.Cli, Config("a", gossipA, join: false), dir.Path);
            agents.Add(a);
            using var httpA = new HttpClient { BaseAddress = await a.Listening.WaitAsync(TimeSpan.FromSeconds(120)), Timeout = TimeSpan.FromSeconds(120) };

            // Load A.
            var loadClock = Stopwatch.StartNew();
            var transactions = (s.Rows + s.RowsPerTx - 1) / s.RowsPerTx;
            var nextTx = -1;
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                while (Interlocked.Increment(ref nextTx) is var tx && tx < transactions)
                {
                    var first = (long)tx * s.RowsPerTx;
                    await WriteRowsAsync(httpA, "r", first, (int)Math.Min(s.RowsPerTx, s.Rows - first));
                }
            })));
            var loaded = loadClock.Elapsed;
            var dbBytes = new FileInfo(dir.File("a.db")).Length + (File.Exists(dir.File("a.db-wal")) ? new FileInfo(dir.File("a.db-wal")).Length : 0);
            Console.WriteLine(FormattableString.Invariant(
                $"- A loaded: {s.Rows:N0} rows in {transactions:N0} transactions in {loaded.TotalSeconds:F1} s ({s.Rows / loaded.TotalSeconds:N0} rows/s); A's database + WAL {dbBytes / 1048576.0:F1} MiB; A's RSS {Rss(a.Process.Id, "VmRSS") / 1024.0:F0} MiB"));

            using var stop = new CancellationTokenSource();
            var probes = new Probes();
            var probing = Task.Run(() => probes.RunAsync(httpA, s.Rows, stop.Token));
            await Task.Delay(3000);
            var (idleWrites, idleReads) = probes.Take();
            Console.WriteLine($"- A idle before B starts: write {Percentiles.Summary(idleWrites)}; read {Percentiles.Summary(idleReads)}");

            long acknowledged = 0;
            var writing = s.WritesPerSecond > 0
                ? Task.Run(() => WriteSteadilyAsync(httpA, s.WritesPerSecond, () => Interlocked.Add(ref acknowledged, 10), stop.Token))
                : Task.CompletedTask;

            // B joins.
            var configB = Config("b", AgentProcess.FreePort(), join: true);
            var cpuA0 = PropagationSuite.CpuSeconds(a.Process.Id);
            var clock = Stopwatch.StartNew();
            var b = AgentProcess.Start(s.Cli, configB, dir.Path);
            agents.Add(b);
            var httpB = new HttpClient { BaseAddress = await b.Listening.WaitAsync(TimeSpan.FromSeconds(120)), Timeout = TimeSpan.FromSeconds(120) };
            var listening = clock.Elapsed;
            double cpuB = 0;
            long peakRssA = 0, peakRssB = 0, peakHwmB = 0;
            var partial = new List<long>();
            var timeline = new List<string>();
            TimeSpan? firstRow = null;
            var killed = false;
            long count = 0;
            var nextMark = 1.0;
            while (clock.Elapsed < TimeSpan.FromMinutes(30))
            {
                peakRssA = Math.Max(peakRssA, Rss(a.Process.Id, "VmRSS"));
                peakRssB = Math.Max(peakRssB, Rss(b.Process.Id, "VmRSS"));
                peakHwmB = Math.Max(peakHwmB, Rss(b.Process.Id, "VmHWM"));
                count = await SustainedSuite.CountAsync(httpB, LoadedRows);
                if (count % s.RowsPerTx != 0 && count != s.Rows)
                {
                    partial.Add(count);
                }

                if (count > 0 && firstRow is null)
                {
                    firstRow = clock.Elapsed;
                }

                if (clock.Elapsed.TotalSeconds >= nextMark)
                {
                    timeline.Add(FormattableString.Invariant($"{clock.Elapsed.TotalSeconds:F0}s {count:N0}"));
                    nextMark = Math.Ceiling(clock.Elapsed.TotalSeconds / (clock.Elapsed.TotalSeconds < 10 ? 1 : 5)) * (clock.Elapsed.TotalSeconds < 10 ? 1 : 5);
                }

                if (count >= s.Rows)
                {
                    break;
                }

                if (s.KillAt is { } fraction && !killed && count >= fraction * s.Rows)
                {
                    killed = true;
                    cpuB += PropagationSuite.CpuSeconds(b.Process.Id);
                    b.Process.Kill();
                    await b.Process.WaitForExitAsync();
                    var killedAt = clock.Elapsed;
                    await b.DisposeAsync();
                    b = AgentProcess.Start(s.Cli, configB, dir.Path);
                    agents[1] = b;
                    httpB.Dispose();
                    httpB = new HttpClient { BaseAddress = await b.Listening.WaitAsync(TimeSpan.FromSeconds(120)), Timeout = TimeSpan.FromSeconds(120) };
                    var kept = await SustainedSuite.CountAsync(httpB, LoadedRows);
                    Console.WriteLine(FormattableString.Invariant(
                        $"- B killed (SIGKILL) at {killedAt.TotalSeconds:F1} s holding {count:N0} rows (last count); restarted and listening at {clock.Elapsed.TotalSeconds:F1} s with {kept:N0} rows kept (peak RSS before the kill {peakHwmB / 1024.0:F0} MiB)"));
                    peakHwmB = 0;
                    peakRssB = 0;
                }

                await Task.Delay(200);
            }

            var caughtUp = clock.Elapsed;
            cpuB += PropagationSuite.CpuSeconds(b.Process.Id);
            var cpuA = PropagationSuite.CpuSeconds(a.Process.Id) - cpuA0;
            var (busyWrites, busyReads) = probes.Take();
            var syncFigures = await SyncFiguresAsync(httpB);
            var done = count >= s.Rows;
            Console.WriteLine(done
                ? FormattableString.Invariant($"- **B holds all {s.Rows:N0} rows {caughtUp.TotalSeconds:F1} s after it started** ({s.Rows / caughtUp.TotalSeconds:N0} rows/s; listening after {listening.TotalSeconds:F1} s, first row at {firstRow?.TotalSeconds ?? 0:F1} s)")
                : FormattableString.Invariant($"- B did NOT catch up within {caughtUp.TotalMinutes:F0} min: {count:N0} of {s.Rows:N0} rows"));
            Console.WriteLine($"- B's rows over time: {string.Join(", ", timeline)}");
            Console.WriteLine(FormattableString.Invariant(
                $"- CPU during the catch-up: B {cpuB:F1} s ({cpuB / caughtUp.TotalSeconds * 100:F0} % of a core), A {cpuA:F1} s ({cpuA / caughtUp.TotalSeconds * 100:F0} %); peak RSS B {Math.Max(peakHwmB, peakRssB) / 1024.0:F0} MiB (VmHWM{(killed ? " of the restarted process" : "")}), A {peakRssA / 1024.0:F0} MiB (sampled)"));
            Console.WriteLine($"- A during the catch-up: write {Percentiles.Summary(busyWrites)}; read {Percentiles.Summary(busyReads)}");
            Console.WriteLine($"- counts B answered that cut a transaction: {(partial.Count == 0 ? "none" : string.Join(", ", partial.Take(10)))} (of {Math.Max(1, (int)(caughtUp.TotalSeconds * 5))} polls)");
            Console.WriteLine($"- B's sync figures: {syncFigures}");

            HttpClient? httpC = null;
            if (s.Third && done)
            {
                var configC = Config("c", AgentProcess.FreePort(), join: true);
                var clockC = Stopwatch.StartNew();
                var c = AgentProcess.Start(s.Cli, configC, dir.Path);
                agents.Add(c);
                httpC = new HttpClient { BaseAddress = await c.Listening.WaitAsync(TimeSpan.FromSeconds(120)), Timeout = TimeSpan.FromSeconds(120) };
                while (clockC.Elapsed < TimeSpan.FromMinutes(30) && await SustainedSuite.CountAsync(httpC, LoadedRows) < s.Rows)
                {
                    await Task.Delay(200);
                }

                Console.WriteLine(FormattableString.Invariant($"- C (joining A and B while A is written) holds all {s.Rows:N0} loaded rows {clockC.Elapsed.TotalSeconds:F1} s after it started"));
            }

            // Everything acknowledged on A reaches every other node; then the contents must be equal.
            await stop.CancelAsync();
            await Task.WhenAll(probing, writing);
            var total = await SustainedSuite.CountAsync(httpA, "1");
            var settle = Stopwatch.StartNew();
            var clients = new List<HttpClient> { httpB };
            if (httpC is not null)
            {
                clients.Add(httpC);
            }

            var others = await Task.WhenAll(clients.Select(h => SustainedSuite.CountAsync(h, "1")));
            while (settle.Elapsed < TimeSpan.FromSeconds(120) && others.Any(o => o != total))
            {
                await Task.Delay(100);
                others = await Task.WhenAll(clients.Select(h => SustainedSuite.CountAsync(h, "1")));
            }

            Console.WriteLine(FormattableString.Invariant(
                $"- after the writers stopped: A holds {total:N0} rows ({acknowledged:N0} acknowledged during the catch-up, {probes.Written:N0} probe rows); B {string.Join(", ", others)} after {settle.Elapsed.TotalSeconds:F1} s"));
            var hashA = Hash(dir.File("a.db"));
            var hashB = Hash(dir.File("b.db"));
            var same = hashA == hashB;
            Console.WriteLine($"- content (SHA-256 of kv in key order): A {hashA[..16]}, B {hashB[..16]}{(s.Third ? $", C {Hash(dir.File("c.db"))[..16]}" : "")}: **{(same ? "equal" : "DIFFERENT")}**");
            Console.WriteLine();
            var sameC = !s.Third || (done && Hash(dir.File("c.db")) == hashA);
            httpB.Dispose();
            httpC?.Dispose();
            return done && same && sameC && partial.Count == 0 ? 0 : 1;
        }
        finally
        {
            foreach (var agent in agents)
            {
                await agent.DisposeAsync();
            }
        }
    }

    /// <summary>One transaction: one INSERT of <paramref name="rows"/> rows keyed <c>{prefix}{index:D10}</c>, values of ~100 bytes.</summary>
    private static async Task WriteRowsAsync(HttpClient http, string prefix, long first, int rows)
    {
        var sql = new StringBuilder("INSERT INTO kv (k, v) VALUES ");
        var parameters = new List<string>(rows * 2);
        for (var i = 0; i < rows; i++)
        {
            sql.Append(i == 0 ? "(?, ?)" : ", (?, ?)");
            var key = first + i;
            parameters.Add(FormattableString.Invariant($"{prefix}{key:D10}"));
            parameters.Add(FormattableString.Invariant($"value of row {key}: host-{key % 997}.region-{key % 31}, state running, image registry/app:{key % 113}"));
        }

        var body = JsonSerializer.Serialize(new object[] { new object[] { sql.ToString(), parameters } });
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("v1/transactions", UriKind.Relative), content);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"write failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>10-row transactions at about <paramref name="rowsPerSecond"/> until stopped; each acknowledged one counted.</summary>
    private static async Task WriteSteadilyAsync(HttpClient http, int rowsPerSecond, Action acknowledged, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        long written = 0;
        while (!stop.IsCancellationRequested)
        {
            var due = clock.Elapsed.TotalSeconds * rowsPerSecond;
            if (written + 10 > due)
            {
                await Task.Delay(5, CancellationToken.None);
                continue;
            }

            await WriteRowsAsync(http, "w", written, 10);
            written += 10;
            acknowledged();
        }
    }

    /// <summary>A's responsiveness: one single-row write and one keyed read of a loaded row every 20 ms.</summary>
    private sealed class Probes
    {
        private readonly object _gate = new();
        private List<double> _writes = [];
        private List<double> _reads = [];

        public long Written { get; private set; }

        public async Task RunAsync(HttpClient http, int rows, CancellationToken stop)
        {
            var random = new Random(15);
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                await WriteRowsAsync(http, "p", Written, 1);
                var wrote = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                Written++;
                started = Stopwatch.GetTimestamp();
                var key = FormattableString.Invariant($"r{random.Next(rows):D10}");
                using (var content = new StringContent(JsonSerializer.Serialize(new object[] { "SELECT v FROM kv WHERE k = ?", new[] { key } }), Encoding.UTF8, "application/json"))
                using (var response = await http.PostAsync(new Uri("v1/queries", UriKind.Relative), content, CancellationToken.None))
                {
                    var text = await response.Content.ReadAsStringAsync(CancellationToken.None);
                    if (!response.IsSuccessStatusCode || !text.Contains("\"row\"", StringComparison.Ordinal))
                    {
                        throw new InvalidOperationException($"probe read of {key} failed: {text}");
                    }
                }

                var read = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (_gate)
                {
                    _writes.Add(wrote);
                    _reads.Add(read);
                }

                try
                {
                    await Task.Delay(20, stop);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        /// <summary>The latencies since the last call.</summary>
        public (List<double> Writes, List<double> Reads) Take()
        {
            lock (_gate)
            {
                var taken = (_writes, _reads);
                _writes = [];
                _reads = [];
                return taken;
            }
        }
    }

    /// <summary>The node's sync and merge counters from /metrics (summed over labels).</summary>
    private static async Task<string> SyncFiguresAsync(HttpClient http)
    {
        var text = await http.GetStringAsync(new Uri("metrics", UriKind.Relative));
        var sums = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || line.Length == 0)
            {
                continue;
            }

            var name = line[..line.IndexOfAny(['{', ' '])];
            if ((name.StartsWith("corrosion_replication_sync", StringComparison.Ordinal) || name.StartsWith("corrosion_storage_merge", StringComparison.Ordinal)
                    || name.StartsWith("corrosion_transport_bytes", StringComparison.Ordinal))
                && !name.EndsWith("_bucket", StringComparison.Ordinal)
                && double.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                sums[name] = sums.GetValueOrDefault(name) + value;
            }
        }

        return string.Join(", ", sums.Select(kv => FormattableString.Invariant($"{kv.Key["corrosion_".Length..]} {kv.Value:G6}")));
    }

    /// <summary>A /proc/pid/status memory figure in KiB (0 when the process is gone).</summary>
    private static long Rss(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    /// <summary>SHA-256 of every kv row in key order, read from the database file (read-only, beside the running agent).</summary>
    private static string Hash(string db)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT k, v FROM kv ORDER BY k";
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            sha.AppendData(Encoding.UTF8.GetBytes(reader.GetString(0) + "\0" + (reader.IsDBNull(1) ? "\u0001" : reader.GetString(1)) + "\n"));
        }

        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
